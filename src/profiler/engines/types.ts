/**
 * V8's sampling heap profile as a call tree: the shape npm pprof and
 * @datadog/pprof return natively, and the one the inspector engine converts to.
 * Lines and columns are 1-based; 0 means "no position" (builtins, natives).
 */
export interface AllocationNode {
  readonly name: string
  readonly scriptName: string
  readonly lineNumber?: number
  readonly columnNumber?: number
  /** V8 has already scaled `count` up from the samples to an estimate of the real number. */
  readonly allocations: ReadonlyArray<{ readonly sizeBytes: number, readonly count: number }>
  readonly children: readonly AllocationNode[]
}

/** Where heap profiles come from, fastest first. */
export const HEAP_ENGINE_NAMES = ['pprof', '@datadog/pprof', 'inspector'] as const
export type HeapEngineName = typeof HEAP_ENGINE_NAMES[number]

/**
 * One way to drive V8's one sampling heap profiler. Every engine reads the
 * same V8 sampler; they differ in how the profile crosses into JavaScript.
 */
export interface HeapEngine {
  readonly name: HeapEngineName
  /**
   * Starts V8's sampler for the plugin. False when the engine's library says
   * someone else in the process started it: the plugin shares it then, and
   * never stops it.
   */
  claim (intervalBytes: number, stackDepth: number): boolean
  /** Stops what claim() started. */
  unclaim (): void
  /** Starts V8's sampler if nothing runs it (V8 ignores a start while one runs). */
  ensureRunning (intervalBytes: number, stackDepth: number): void
  /** Stops V8's sampler whoever started it: an allocation window takes it over. */
  halt (): void
  /** Stops V8's sampler whoever started it and starts it again at this interval. */
  restart (intervalBytes: number, stackDepth: number): void
  /**
   * V8's profile now, from a sampler running at `intervalBytes` (the inspector
   * needs it to recover object counts). The sampler must be running: a native
   * read of a stopped one crashes.
   */
  read (intervalBytes: number): AllocationNode
}
