import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks'

/** Event-loop delay over one interval, in milliseconds beyond the timer's own period. */
export interface LoopDelayFigures {
  readonly minMs: number
  readonly meanMs: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** Standard deviation of the delays (the period offset cancels out). */
  readonly stddevMs: number
}

/**
 * Event-loop delay per interval with no blind spot between intervals.
 *
 * Not monitorEventLoopDelay() with a reset() per interval: reset() forgets
 * when its timer last ran, so a block that spans a reset is never recorded.
 *
 * Here a timer of `periodMs` records the time between its own callbacks, and
 * take() first records the gap that ends now (a block that just ended), so
 * every gap lands in exactly one interval.
 */
export class LoopDelay {
  readonly #periodMs: number
  readonly #histogram: RecordableHistogram = createHistogram()
  readonly #timer: NodeJS.Timeout
  #last = performance.now()

  constructor (periodMs: number) {
    this.#periodMs = periodMs
    this.#timer = setInterval(() => { this.#recordUntil(performance.now()) }, periodMs)
    this.#timer.unref()
  }

  /** The figures since the last take(), then starts a new interval. */
  take (): LoopDelayFigures {
    const now = performance.now()
    // A gap longer than the period is a delay the timer has not seen yet: it
    // belongs to the interval that ends now. A shorter one is left running
    // for the timer to record whole in the next interval.
    if (now - this.#last > this.#periodMs) this.#recordUntil(now)
    const h = this.#histogram
    const beyond = (ns: number): number => Math.max(0, ns / 1e6 - this.#periodMs)
    const figures = h.count === 0
      ? { minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0, stddevMs: 0 }
      : {
          minMs: beyond(h.min),
          meanMs: beyond(h.mean),
          p50Ms: beyond(h.percentile(50)),
          p90Ms: beyond(h.percentile(90)),
          p99Ms: beyond(h.percentile(99)),
          maxMs: beyond(h.max),
          stddevMs: Number.isFinite(h.stddev) ? h.stddev / 1e6 : 0
        }
    h.reset()
    return figures
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  #recordUntil (now: number): void {
    this.#histogram.record(Math.max(1, Math.round((now - this.#last) * 1e6)))
    this.#last = now
  }
}
