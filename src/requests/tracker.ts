import type { IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'

/** Where a request is: the last Fastify hook it entered, or its handler. */
export type Stage = 'received' | 'onRequest' | 'preParsing' | 'preValidation' | 'preHandler' | 'handler' | 'preSerialization' | 'onSend'

/** One request in flight. Primitives only: it never holds the request, the reply or the socket. */
export interface Entry {
  readonly startedAt: number
  readonly method: string
  /** The route pattern (routeOptions.url); null before routing and for requests no route matched. */
  route: string | null
  stage: Stage
  clientConnected: boolean
}

export interface TrackerOptions {
  readonly slowMs: number
  readonly max: number
}

export interface RequestView {
  readonly route: string | null
  readonly method: string
  readonly ageMs: number
  readonly clientConnected: boolean
  readonly stage: Stage
}

/**
 * The app's requests in flight, for /requests and the stuck gauge. Entries
 * live in an insertion-ordered Set (oldest first for free) and are found from
 * Fastify's hooks through a WeakMap keyed by the raw request, so nothing here
 * keeps a request alive. At most `max` are tracked; the rest are only counted.
 * An entry leaves when its response finishes, when a reply to a client that
 * left reaches onSend, or at close; a request whose client left and whose
 * handler never answers stays: that is what the list is for.
 */
/** The mark of a request past the cap: counted, not tracked. */
const UNTRACKED = Symbol('untracked')

export class RequestTracker {
  readonly options: TrackerOptions
  readonly #entries = new Set<Entry>()
  readonly #byRequest = new WeakMap<object, Entry | typeof UNTRACKED>()
  #untracked = 0
  readonly #ownPrefix: string

  constructor (options: TrackerOptions, ownPrefix: string) {
    this.options = options
    this.#ownPrefix = ownPrefix
  }

  /** From the server's 'request' event. */
  add (req: IncomingMessage): void {
    if (this.#entries.size >= this.options.max) {
      this.#untracked++
      this.#byRequest.set(req, UNTRACKED)
      return
    }
    const entry: Entry = { startedAt: performance.now(), method: req.method ?? 'GET', route: null, stage: 'received', clientConnected: true }
    this.#entries.add(entry)
    this.#byRequest.set(req, entry)
  }

  /** The response closed: finished, or the client went away before it was. */
  closed (req: IncomingMessage, res: ServerResponse): void {
    const entry = this.#byRequest.get(req)
    if (entry === undefined) return
    if (entry === UNTRACKED) {
      this.#byRequest.delete(req)
      this.#untracked = Math.max(0, this.#untracked - 1)
    } else if (res.writableFinished) {
      this.#entries.delete(entry)
    } else {
      entry.clientConnected = false
    }
  }

  /** From the onRequest hook: the route is known; the plugin's own routes are not tracked. */
  routed (req: object, route: string | undefined): void {
    const entry = this.#byRequest.get(req)
    if (entry === undefined) return
    if (route !== undefined && (route === this.#ownPrefix || route.startsWith(this.#ownPrefix + '/'))) {
      if (entry === UNTRACKED) this.#untracked = Math.max(0, this.#untracked - 1)
      else this.#entries.delete(entry)
      this.#byRequest.delete(req)
      return
    }
    if (entry === UNTRACKED) return
    entry.route = route ?? null
    entry.stage = 'onRequest'
  }

  enter (req: object, stage: Stage): void {
    const entry = this.#byRequest.get(req)
    if (entry === undefined || entry === UNTRACKED) return
    entry.stage = stage
    // The handler answered a client that left: the work is over, though no response will finish.
    if (stage === 'onSend' && !entry.clientConnected) this.#entries.delete(entry)
  }

  /** Requests in flight: tracked ones plus those past the cap. */
  get total (): number {
    return this.#entries.size + this.#untracked
  }

  get tracked (): number {
    return this.#entries.size
  }

  /** Tracked requests older than slowMs (the set is oldest first: stops at the first younger one). */
  stuck (now = performance.now()): number {
    let n = 0
    for (const e of this.#entries) {
      if (now - e.startedAt < this.options.slowMs) break
      n++
    }
    return n
  }

  /** The oldest `limit` tracked requests, oldest first. */
  list (limit: number, now = performance.now()): RequestView[] {
    const out: RequestView[] = []
    for (const e of this.#entries) {
      if (out.length >= limit) break
      out.push({ route: e.route, method: e.method, ageMs: Math.round(now - e.startedAt), clientConnected: e.clientConnected, stage: e.stage })
    }
    return out
  }

  /** Counts by route, method and stage, the largest group first (Go's goroutine?debug=1 grouping). */
  groups (now = performance.now()): Array<{ route: string | null, method: string, stage: Stage, count: number, disconnected: number, oldestMs: number }> {
    const byKey = new Map<string, { route: string | null, method: string, stage: Stage, count: number, disconnected: number, oldestMs: number }>()
    for (const e of this.#entries) {
      const key = `${e.method} ${e.route ?? ''} ${e.stage}`
      let g = byKey.get(key)
      if (g === undefined) {
        g = { route: e.route, method: e.method, stage: e.stage, count: 0, disconnected: 0, oldestMs: Math.round(now - e.startedAt) }
        byKey.set(key, g)
      }
      g.count++
      if (!e.clientConnected) g.disconnected++
    }
    return [...byKey.values()].sort((a, b) => b.count - a.count || b.oldestMs - a.oldestMs)
  }

  clear (): void {
    // The WeakMap's entries go with their requests; clearing the set drops every Entry now.
    this.#entries.clear()
    this.#untracked = 0
  }
}
