/**
 * The one piece of process-wide mutable state in fastify-pprof.
 *
 * V8 has one CPU profiler and one sampling heap profiler per isolate, and the
 * heap engines (npm pprof, @datadog/pprof) track theirs with module-level flags
 * that throw when started twice.
 * Those are facts about the process, not about a Fastify instance, so two
 * instances of this plugin (or two apps in one process) must agree on them
 * here. Everything else lives in the plugin instance.
 *
 * Four things are guarded:
 * - the "heavy" lease: one long-running profiling operation at a time (a CPU
 *   profile, the wait of a heap delta); others get a 409 with Retry-After;
 * - the heap sampler: started by the first registration, shared by later ones,
 *   stopped when the last one closes (and never stopped if we did not start it);
 * - the heap engine that drives it, chosen once per process (engines/index.ts);
 * - V8's CPU profiler on the main thread, claimed across threads: the stall
 *   watchdog (stalls/) starts it from a worker while the main loop is blocked,
 *   when no JavaScript here can run to take a lease, so the claim is a word in
 *   shared memory that both threads compare-and-swap.
 *
 * Worker threads load their own copy of this module, matching V8's per-isolate
 * profilers.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { type AllocationNode, HEAP_ENGINE_ENV, type HeapEngine, type HeapEngineName, type LoadedEngine, loadHeapEngine } from './engines/index.js'

export interface HeavyLease {
  readonly kind: string
  /** Idempotent: every exit path calls it. */
  release (): void
}

export interface Busy {
  readonly kind: string
  /** Whole seconds until the running operation is expected to end (at least 1). */
  readonly retryAfterSeconds: number
}

export interface HeapSamplerLease {
  readonly intervalBytes: number
  /** The engine every registration in this process reads the sampler through. */
  readonly engine: LoadedEngine
  release (): void
}

interface HeavyState { kind: string, endsAt: number, token: symbol }

const state: {
  heavy: HeavyState | undefined
  heapUsers: number
  heapIntervalBytes: number
  heapStackDepth: number
  heapOwned: boolean
  heapPaused: boolean
  engine: LoadedEngine | undefined
} = { heavy: undefined, heapUsers: 0, heapIntervalBytes: 0, heapStackDepth: 0, heapOwned: false, heapPaused: false, engine: undefined }

/** Who holds V8's CPU profiler on the main thread: the value of the shared claim word. */
export const CPU_FREE = 0
export const CPU_BY_MAIN = 1
export const CPU_BY_STALL_WATCH = 2
const cpuClaim = new Int32Array(new SharedArrayBuffer(4))
const CLAIM_POLL_MS = 5

/** The claim word's memory, handed to the stall watchdog's worker. */
export function cpuClaimBuffer (): SharedArrayBuffer {
  return cpuClaim.buffer as SharedArrayBuffer
}

/**
 * Claims the main thread's CPU profiler for a profile started on this thread
 * (/profile); undefined while the stall watchdog profiles a stall. The
 * release is idempotent.
 */
export function claimCpuProfiler (): (() => void) | undefined {
  if (Atomics.compareExchange(cpuClaim, 0, CPU_FREE, CPU_BY_MAIN) !== CPU_FREE) return undefined
  let released = false
  return () => {
    if (released) return
    released = true
    Atomics.compareExchange(cpuClaim, 0, CPU_BY_MAIN, CPU_FREE)
  }
}

/**
 * Waits, at most maxMs, until the stall watchdog has let go of the CPU profiler. A request handled on this
 * thread runs after the stall it may have arrived in: the watchdog stops that stall's profile a few ms after
 * the loop turns (its poll, then Profiler.stop answered by this thread), so a /profile that came during the
 * stall gets the profiler instead of a 409. Returns early when the signal aborts; the caller checks it.
 */
export async function waitForCpuProfiler (maxMs: number, signal: AbortSignal): Promise<void> {
  const until = performance.now() + maxMs
  while (Atomics.load(cpuClaim, 0) === CPU_BY_STALL_WATCH && !signal.aborted && performance.now() < until) await sleep(CLAIM_POLL_MS)
}

function heapEngine (): HeapEngine {
  if (state.heapUsers === 0 || state.engine === undefined) throw new Error('heap sampler not started')
  return state.engine.engine
}

/** Takes the heavy lease, or says who holds it and for how long. */
export function acquireHeavy (kind: string, expectedMs: number): HeavyLease | Busy {
  const now = Date.now()
  if (state.heavy !== undefined) return { kind: state.heavy.kind, retryAfterSeconds: heavyRetryAfter() }
  const token = Symbol(kind)
  state.heavy = { kind, endsAt: now + expectedMs, token }
  return {
    kind,
    release () {
      // The token makes a late second release harmless to a newer holder.
      if (state.heavy?.token === token) state.heavy = undefined
    }
  }
}

export function isLease (x: HeavyLease | Busy): x is HeavyLease {
  return 'release' in x
}

/** Whole seconds until the heavy lease is expected back (at least 1). */
export function heavyRetryAfter (): number {
  return state.heavy === undefined ? 1 : Math.max(1, Math.ceil((state.heavy.endsAt - Date.now()) / 1000))
}

/** What holds the heavy lease right now, for tests and the index page. */
export function heavyHolder (): string | undefined {
  return state.heavy?.kind
}

/**
 * Reads V8's sampling heap profile without crashing when another tool
 * (DevTools "Allocation sampling", an inspector HeapProfiler.stopSampling, an
 * APM agent) stopped V8's one sampler behind the engine's back: npm pprof's
 * native read then dereferences a null profile and the process dies. V8's
 * StartSamplingHeapProfiler is a no-op while a sampler runs, so calling it
 * first costs nothing in the normal case and, after such a stop, restarts
 * sampling (the profile then only holds what was allocated since).
 */
export function readHeapTree (): AllocationNode {
  const engine = heapEngine()
  if (state.heapPaused) throw new Error('heap sampler paused for an allocation profile')
  engine.ensureRunning(state.heapIntervalBytes, state.heapStackDepth)
  return engine.read(state.heapIntervalBytes)
}

/**
 * V8's profile while an allocation window runs the sampler (started with
 * other flags by the window's own inspector session).
 */
export function readWindowTree (): AllocationNode {
  if (!state.heapPaused) throw new Error('no allocation window holds the heap sampler')
  return heapEngine().read(state.heapIntervalBytes)
}

/** The engine this process reads heap profiles through, once a registration has chosen it. */
export function heapEngineName (): HeapEngineName | undefined {
  return state.engine?.engine.name
}

/** Whether an allocation window has V8's sampler; /heap must wait (409) meanwhile. */
export function heapSamplerPaused (): boolean {
  return state.heapPaused
}

/**
 * Hands V8's one sampling heap profiler to an allocation window (which
 * starts it again with other flags) and takes it back after. Stopping
 * discards what the in-use sampler had recorded: the in-use view starts
 * over. The caller holds the heavy lease.
 */
export function pauseHeapSampler (): () => void {
  const engine = heapEngine()
  engine.halt()
  state.heapPaused = true
  let resumed = false
  return () => {
    if (resumed) return
    resumed = true
    state.heapPaused = false
    if (state.heapUsers > 0) engine.ensureRunning(state.heapIntervalBytes, state.heapStackDepth)
  }
}

/**
 * Stops the sampler when the process exits with it still running (an app that never calls close()): npm pprof's
 * sampler left running crashes Node 24 in its teardown ('munmap_chunk(): invalid pointer', exit code 134, 3 of
 * 3 runs of a script that starts it and exits; Node 22 and 26 exit cleanly).
 */
function haltAtExit (): void {
  // Registered only while the plugin holds the sampler (retainHeapSampler, release).
  try {
    state.engine?.engine.halt()
  } catch {}
}

/**
 * Starts V8's sampling heap profiler for the first user (restarting one the
 * app started, at our interval); later users share it at the interval it
 * already runs with, which their lease reports. The engine is chosen at the first
 * call and kept for the life of the process (a loaded addon stays loaded).
 */
export function retainHeapSampler (intervalBytes: number, stackDepth: number): HeapSamplerLease {
  state.engine ??= loadHeapEngine(process.env[HEAP_ENGINE_ENV])
  const { engine } = state.engine
  if (state.heapUsers === 0) {
    // False: the app started the engine's sampler itself; use it, never stop it.
    state.heapOwned = engine.claim(intervalBytes, stackDepth)
    // Its interval is one no API tells: restart it at ours, so that every profile's period and the text form's
    // scaling are those of the sampler running. The other tool reads the same sampler, and V8 scales each sample
    // by the interval running, so its numbers stay right; memory retained before now leaves the sampler's view.
    if (!state.heapOwned) engine.restart(intervalBytes, stackDepth)
    state.heapIntervalBytes = intervalBytes
    state.heapStackDepth = stackDepth
    process.on('exit', haltAtExit)
  }
  state.heapUsers++
  let released = false
  return {
    intervalBytes: state.heapIntervalBytes,
    engine: state.engine,
    release () {
      if (released) return
      released = true
      state.heapUsers--
      if (state.heapUsers === 0) process.off('exit', haltAtExit)
      if (state.heapUsers === 0 && state.heapOwned) {
        engine.unclaim()
        state.heapOwned = false
      }
    }
  }
}
