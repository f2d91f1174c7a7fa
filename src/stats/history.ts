/** The series kept for charts, in the order the page draws them. */
export const HISTORY_SERIES = [
  'rss', 'heapUsed', 'heapTotal', 'external', 'gcPauseMs', 'eventLoopDelayP99Ms', 'eventLoopUtilization',
  'activeResources', 'requestsInFlight'
] as const

export type HistorySeries = typeof HISTORY_SERIES[number]
export type HistoryPoint = Record<HistorySeries, number>

/**
 * A fixed-size ring of samples, one typed array per series: its memory is set
 * by the configured capacity, never by uptime or traffic.
 */
export class History {
  readonly capacity: number
  readonly #time: Float64Array
  readonly #series: Record<HistorySeries, Float64Array>
  #next = 0
  #size = 0

  constructor (capacity: number) {
    this.capacity = capacity
    this.#time = new Float64Array(capacity)
    this.#series = Object.fromEntries(HISTORY_SERIES.map((s) => [s, new Float64Array(capacity)])) as Record<HistorySeries, Float64Array>
  }

  push (timeMs: number, point: HistoryPoint): void {
    if (this.capacity === 0) return
    this.#time[this.#next] = timeMs
    for (const s of HISTORY_SERIES) this.#series[s][this.#next] = point[s]
    this.#next = (this.#next + 1) % this.capacity
    this.#size = Math.min(this.#size + 1, this.capacity)
  }

  get size (): number {
    return this.#size
  }

  /** Samples newer than `sinceMs`, oldest first, as columns. */
  read (sinceMs = -Infinity): { t: number[] } & Record<HistorySeries, number[]> {
    const out = { t: [] as number[] } as { t: number[] } & Record<HistorySeries, number[]>
    for (const s of HISTORY_SERIES) out[s] = []
    const start = (this.#next - this.#size + this.capacity) % Math.max(1, this.capacity)
    for (let i = 0; i < this.#size; i++) {
      const at = (start + i) % this.capacity
      const t = this.#time[at] as number
      if (t <= sinceMs) continue
      out.t.push(t)
      for (const s of HISTORY_SERIES) out[s].push(this.#series[s][at] as number)
    }
    return out
  }
}
