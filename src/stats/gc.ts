import { type PerformanceEntry, PerformanceObserver, constants, performance } from 'node:perf_hooks'

export type GcKind = 'minor' | 'major' | 'incremental' | 'weakcb'

const KINDS: ReadonlyArray<[number, GcKind]> = [
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb']
]

export interface GcKindTotals { count: number, totalPauseNs: number, maxPauseNs: number }

/** Go keeps the last 256 pauses in a ring indexed by GC number. */
export const PAUSE_RING = 256

/** startMs is the pause's start on this thread's performance.now() clock. */
export interface GcListener { (kind: GcKind, pauseSeconds: number, startMs: number): void }

/**
 * Counts garbage collections from perf_hooks 'gc' entries, per kind, with a
 * ring of recent pauses shaped like Go's MemStats.PauseNs/PauseEnd. One
 * observer per plugin instance, disconnected on stop().
 */
export class GcStats {
  readonly pauseNs = new Float64Array(PAUSE_RING)
  readonly pauseEnd = new Float64Array(PAUSE_RING)
  readonly byKind: Record<GcKind, GcKindTotals> = {
    minor: { count: 0, totalPauseNs: 0, maxPauseNs: 0 },
    major: { count: 0, totalPauseNs: 0, maxPauseNs: 0 },
    incremental: { count: 0, totalPauseNs: 0, maxPauseNs: 0 },
    weakcb: { count: 0, totalPauseNs: 0, maxPauseNs: 0 }
  }

  numGc = 0
  numForcedGc = 0
  pauseTotalNs = 0
  /** End of the last GC, ns since the Unix epoch (0 before the first). */
  lastGc = 0
  /** Pause time since the last takeIntervalPause(), for the history chart. */
  #intervalPauseNs = 0
  readonly #observer: PerformanceObserver
  readonly #listeners: GcListener[] = []

  constructor () {
    this.#observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.#record(entry)
    })
    this.#observer.observe({ entryTypes: ['gc'] })
  }

  onGc (listener: GcListener): void {
    this.#listeners.push(listener)
  }

  #record (entry: PerformanceEntry): void {
    const detail = (entry as PerformanceEntry & { detail?: { kind?: number, flags?: number } }).detail ?? {}
    const kind = KINDS.find(([bit]) => bit === detail.kind)?.[1] ?? 'major'
    const pauseNs = Math.round(entry.duration * 1e6)
    const endNs = Math.round((performance.timeOrigin + entry.startTime + entry.duration) * 1e6)
    const totals = this.byKind[kind]
    totals.count++
    totals.totalPauseNs += pauseNs
    totals.maxPauseNs = Math.max(totals.maxPauseNs, pauseNs)
    this.pauseNs[this.numGc % PAUSE_RING] = pauseNs
    this.pauseEnd[this.numGc % PAUSE_RING] = endNs
    this.numGc++
    if (((detail.flags ?? 0) & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0) this.numForcedGc++
    this.pauseTotalNs += pauseNs
    this.#intervalPauseNs += pauseNs
    this.lastGc = endNs
    for (const listener of this.#listeners) listener(kind, entry.duration / 1000, entry.startTime)
  }

  takeIntervalPause (): number {
    const ns = this.#intervalPauseNs
    this.#intervalPauseNs = 0
    return ns
  }

  stop (): void {
    this.#observer.disconnect()
    this.#listeners.length = 0
  }
}
