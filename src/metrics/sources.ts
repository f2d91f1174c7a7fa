import { performance } from 'node:perf_hooks'
import { setImmediate as nextCheckPhase } from 'node:timers/promises'
import { type HeapInfo, type HeapSpaceInfo, getHeapSpaceStatistics, getHeapStatistics } from 'node:v8'
import type { LeakReportWithHolders } from '../census/verdict.js'
import type { RuntimeSampler } from '../stats/sampler.js'
import { type HandleCounts, HandleCounter } from './handles.js'
import { NO_PROC, type ProcReadings, readProc } from './procfs.js'

/** Everything one scrape reports that the sampler does not already hold, read once per scrape. */
export interface ScrapeReadings {
  readonly memory: NodeJS.MemoryUsage
  readonly heap: HeapInfo
  readonly spaces: readonly HeapSpaceInfo[]
  readonly cpu: NodeJS.CpuUsage
  readonly proc: ProcReadings
  /** How long a setImmediate() took at scrape time (prom-client's nodejs_eventloop_lag_seconds). */
  readonly lagSeconds: number
  readonly handles: HandleCounts
  /** The heap engine this process reads V8's sampler through. */
  readonly heapEngine: string
  /** The leak watch's report, or undefined with the watch off. */
  readonly leaks: LeakReportWithHolders | undefined
}

async function immediateLag (): Promise<number> {
  const start = performance.now()
  await nextCheckPhase()
  return (performance.now() - start) / 1000
}

/**
 * The inputs of one plugin instance's metrics: the instance's sampler (event
 * loop, GC, costly counts, requests in flight) and readings taken when a
 * scrape starts. Metrics' collect() callbacks only read from here, so each
 * runtime API is called once per scrape whatever the number of series.
 */
export class MetricSources {
  readonly sampler: RuntimeSampler
  readings: ScrapeReadings
  readonly #handles: HandleCounter
  readonly #heapEngine: string
  readonly #leaks: () => LeakReportWithHolders | undefined

  constructor (sampler: RuntimeSampler, costlyMaxAgeMs: number, heapEngine: string, leaks: () => LeakReportWithHolders | undefined) {
    this.sampler = sampler
    this.#heapEngine = heapEngine
    this.#leaks = leaks
    this.#handles = new HandleCounter(costlyMaxAgeMs)
    this.readings = this.#read(NO_PROC, 0)
  }

  async refresh (): Promise<void> {
    const [proc, lag] = await Promise.all([readProc(), immediateLag()])
    this.readings = this.#read(proc, lag)
  }

  #read (proc: ProcReadings, lagSeconds: number): ScrapeReadings {
    return {
      memory: process.memoryUsage(),
      heap: getHeapStatistics(),
      spaces: getHeapSpaceStatistics(),
      cpu: process.cpuUsage(),
      proc,
      lagSeconds,
      handles: this.#handles.read(performance.now(), this.sampler.costlyGeneration),
      heapEngine: this.#heapEngine,
      leaks: this.#leaks()
    }
  }
}
