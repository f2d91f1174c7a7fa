/**
 * The one piece of process-wide mutable state in fastify-pprof.
 *
 * V8 has one CPU profiler and one sampling heap profiler per isolate, and npm
 * `pprof` tracks each with a module-level flag that throws when started twice.
 * Those are facts about the process, not about a Fastify instance, so two
 * instances of this plugin (or two apps in one process) must agree on them
 * here. Everything else lives in the plugin instance.
 *
 * Two things are guarded:
 * - the "heavy" lease: one long-running profiling operation at a time (a CPU
 *   profile, the wait of a heap delta); others get a 409 with Retry-After;
 * - the heap sampler: started by the first registration, shared by later ones,
 *   stopped when the last one closes (and never stopped if we did not start it).
 *
 * Worker threads load their own copy of this module, matching V8's per-isolate
 * profilers.
 */
import pprof from 'pprof'

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
  release (): void
}

interface HeavyState { kind: string, endsAt: number, token: symbol }

const state: {
  heavy: HeavyState | undefined
  heapUsers: number
  heapIntervalBytes: number
  heapOwned: boolean
} = { heavy: undefined, heapUsers: 0, heapIntervalBytes: 0, heapOwned: false }

/** Takes the heavy lease, or says who holds it and for how long. */
export function acquireHeavy (kind: string, expectedMs: number): HeavyLease | Busy {
  const now = Date.now()
  if (state.heavy !== undefined) {
    const retryAfterSeconds = Math.max(1, Math.ceil((state.heavy.endsAt - now) / 1000))
    return { kind: state.heavy.kind, retryAfterSeconds }
  }
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

/** What holds the heavy lease right now, for tests and the index page. */
export function heavyHolder (): string | undefined {
  return state.heavy?.kind
}

/**
 * Starts V8's sampling heap profiler for the first user; later users share it
 * at the interval it already runs with.
 */
export function retainHeapSampler (intervalBytes: number, stackDepth: number): HeapSamplerLease {
  if (state.heapUsers === 0) {
    try {
      pprof.heap.start(intervalBytes, stackDepth)
      state.heapOwned = true
      state.heapIntervalBytes = intervalBytes
    } catch {
      // Someone else in the process started npm pprof's sampler: use it, never stop it.
      state.heapOwned = false
      state.heapIntervalBytes = intervalBytes
    }
  }
  state.heapUsers++
  let released = false
  return {
    intervalBytes: state.heapIntervalBytes,
    release () {
      if (released) return
      released = true
      state.heapUsers--
      if (state.heapUsers === 0 && state.heapOwned) {
        pprof.heap.stop()
        state.heapOwned = false
      }
    }
  }
}
