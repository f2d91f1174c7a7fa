import { readdirSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { type EventLoopUtilization, performance } from 'node:perf_hooks'
import { GcStats } from './gc.js'
import { History } from './history.js'
import { LoopDelay, type LoopDelayFigures } from './loop-delay.js'
import type { RequestTracker } from '../requests/tracker.js'

/** Event-loop numbers over the last sampling interval, in milliseconds. */
export interface LoopSnapshot extends LoopDelayFigures {
  /** Fraction of the interval the loop was busy (0..1). */
  readonly utilization: number
  readonly intervalMs: number
}

/** What is too costly to read per request at scale, sampled in the background. */
export interface CostlySnapshot {
  readonly activeResourcesByType: Readonly<Record<string, number>>
  readonly activeResources: number
  /** Undefined where /proc/self/fd cannot be read. */
  readonly openFds: number | undefined
  /** When this was read, ms since the epoch. */
  readonly sampledAt: number
}

export interface SamplerOptions {
  readonly intervalMs: number
  readonly costlyIntervalMs: number
  readonly historySize: number
}

// The delay timer's period (its own granularity, subtracted from each gap).
const RESOLUTION_MS = 10

function countByType (types: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const t of types) out[t] = (out[t] ?? 0) + 1
  return out
}

// Minus the descriptor readdir itself holds while listing (prom-client subtracts it too).
const withoutOwnFd = (entries: readonly string[]): number => Math.max(0, entries.length - 1)

function countOpenFdsNow (): number | undefined {
  try {
    return withoutOwnFd(readdirSync('/proc/self/fd'))
  } catch {
    return undefined
  }
}

async function countOpenFds (): Promise<number | undefined> {
  try {
    return withoutOwnFd(await readdir('/proc/self/fd'))
  } catch {
    return undefined
  }
}

/**
 * The per-instance runtime sampler behind /stats, /stats/history and
 * /metrics. A 1 s timer (unref'd, so it never keeps the process alive) takes
 * the event-loop delay and ELU of the interval, appends a history
 * point, and every few seconds refreshes the costly counts: with 10k sockets,
 * getActiveResourcesInfo() costs about 0.34 ms and counting /proc/self/fd
 * about 9 ms, which a scrape per second must not pay each time.
 */
export class RuntimeSampler {
  readonly gc = new GcStats()
  readonly history: History
  readonly startedAt = Date.now()
  requestsInFlight = 0
  loop: LoopSnapshot = { minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0, stddevMs: 0, utilization: 0, intervalMs: 0 }
  costly: CostlySnapshot
  readonly #options: SamplerOptions
  readonly #delay: LoopDelay
  #elu: EventLoopUtilization
  #lastTick = performance.now()
  #lastCostly: number
  #generation = 0
  #refreshing = false
  #timer: NodeJS.Timeout | undefined
  #server: Server | undefined
  /** The app's requests in flight by route and stage (/requests); undefined with `requests: false`. */
  requests: RequestTracker | undefined
  // One listener and one 'close' closure per request serve both the count and the tracker.
  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.requestsInFlight++
    const tracker = this.requests
    tracker?.add(req)
    res.once('close', () => {
      this.requestsInFlight--
      tracker?.closed(req, res)
    })
  }

  constructor (options: SamplerOptions) {
    this.#options = options
    this.history = new History(options.historySize)
    this.#delay = new LoopDelay(RESOLUTION_MS)
    this.#elu = performance.eventLoopUtilization()
    // Once, synchronously: at registration the process has few descriptors.
    this.costly = this.#countNow()
    // That count starts the interval: the first tick must not count again.
    this.#lastCostly = this.costly.sampledAt
    this.#timer = setTimeout(() => this.#tick(), options.intervalMs)
    this.#timer.unref()
  }

  #countNow (): CostlySnapshot {
    this.#generation++
    const types = process.getActiveResourcesInfo()
    return { activeResourcesByType: countByType(types), activeResources: types.length, openFds: countOpenFdsNow(), sampledAt: Date.now() }
  }

  /** Bumped by every count: readers that cache their own counts re-read when it moves. */
  get costlyGeneration (): number {
    return this.#generation
  }

  /**
   * Counts again, synchronously, when the server starts listening: the count
   * taken at registration predates the listening socket, and the next one is
   * costlyIntervalMs away. Listening happens once, so the readdirSync is paid once.
   */
  countNow (): void {
    this.costly = this.#countNow()
    this.#lastCostly = this.costly.sampledAt
  }

  /** Counts in-flight requests of this app's HTTP server (inject() does not go through it). */
  watchServer (server: Server, requests?: RequestTracker): void {
    this.#server = server
    this.requests = requests
    // In front of Fastify's own listener, which runs the onRequest hooks synchronously:
    // the tracker must have the request's entry before its first hook looks for it.
    server.prependListener('request', this.#onRequest)
  }

  #tick (): void {
    const now = performance.now()
    const elu = performance.eventLoopUtilization(this.#elu)
    this.#elu = performance.eventLoopUtilization()
    this.loop = { ...this.#delay.take(), utilization: elu.utilization, intervalMs: now - this.#lastTick }
    this.#lastTick = now
    if (Date.now() - this.#lastCostly >= this.#options.costlyIntervalMs) this.refreshCostly().catch(() => {})
    const mem = process.memoryUsage()
    this.history.push(Date.now(), {
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      external: mem.external,
      gcPauseMs: this.gc.takeIntervalPause() / 1e6,
      eventLoopDelayP99Ms: this.loop.p99Ms,
      eventLoopUtilization: this.loop.utilization,
      activeResources: this.costly.activeResources,
      requestsInFlight: this.requestsInFlight
    })
    this.#timer?.refresh()
  }

  /** Re-reads active resources and open descriptors (readdir runs off the loop). */
  async refreshCostly (): Promise<void> {
    if (this.#refreshing) return
    this.#refreshing = true
    this.#lastCostly = Date.now()
    try {
      const generation = this.#generation
      const types = process.getActiveResourcesInfo()
      const openFds = await countOpenFds()
      // A synchronous count (countNow) taken during the readdir is newer: keep it.
      if (generation !== this.#generation) return
      this.#generation++
      this.costly = { activeResourcesByType: countByType(types), activeResources: types.length, openFds, sampledAt: Date.now() }
    } finally {
      this.#refreshing = false
    }
  }

  stop (): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#delay.stop()
    this.gc.stop()
    this.#server?.removeListener('request', this.#onRequest)
    this.requests?.clear()
  }
}
