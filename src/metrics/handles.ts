import { performance } from 'node:perf_hooks'

/** Counts by constructor name, the labels prom-client's nodejs_active_handles and _requests use. */
export interface HandleCounts {
  readonly handles: Readonly<Record<string, number>>
  readonly handlesTotal: number
  readonly requests: Readonly<Record<string, number>>
  readonly requestsTotal: number
}

type Lister = () => unknown[]
// Undocumented, but what prom-client reads, so the type labels match its dashboards.
const internals = process as unknown as { _getActiveHandles?: Lister, _getActiveRequests?: Lister }

export function countByConstructor (list: readonly unknown[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const item of list) {
    const name = (item as { constructor?: { name?: unknown } } | null | undefined)?.constructor?.name
    if (typeof name !== 'string') continue
    out[name] = (out[name] ?? 0) + 1
  }
  return out
}

/**
 * Active libuv handles and requests by type. Listing them builds an array of
 * every socket (10k sockets, 10k entries), so like the sampler's costly counts
 * they are re-read at most once per `maxAgeMs`, on demand: no timer to stop.
 */
export class HandleCounter {
  readonly #maxAgeMs: number
  #readAt = Number.NEGATIVE_INFINITY
  #generation: number | undefined
  #counts: HandleCounts = { handles: {}, handlesTotal: 0, requests: {}, requestsTotal: 0 }

  constructor (maxAgeMs: number) {
    this.#maxAgeMs = maxAgeMs
  }

  /** `generation` is the sampler's: when it moved (the server started listening), the counts are read again. */
  read (now: number = performance.now(), generation?: number): HandleCounts {
    if (now - this.#readAt < this.#maxAgeMs && generation === this.#generation) return this.#counts
    this.#readAt = now
    this.#generation = generation
    const handles = internals._getActiveHandles?.() ?? []
    const requests = internals._getActiveRequests?.() ?? []
    this.#counts = {
      handles: countByConstructor(handles),
      handlesTotal: handles.length,
      requests: countByConstructor(requests),
      requestsTotal: requests.length
    }
    return this.#counts
  }
}
