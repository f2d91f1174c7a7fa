import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Census } from './census/index.js'
import { type LeakReportWithHolders, withHolders } from './census/verdict.js'
import { LeakWatch, type Logger } from './leaks/watch.js'
import type { ResolvedOptions } from './options.js'
import type { LoadedEngine } from './profiler/engines/index.js'
import { retainHeapSampler } from './profiler/process-guard.js'
import type { StallWatch } from './stalls/watch.js'
import { RuntimeSampler } from './stats/sampler.js'
import { SymbolTable } from './symbols.js'
import { createFrameMapper, type FrameMapper } from './sourcemaps/index.js'

// Objects one census visits at most: a bound on its time whatever the app holds.
const CENSUS_MAX_OBJECTS = 300_000
const SILENT: Logger = { warn () {}, error () {} }

/**
 * Everything one registration of the plugin owns. Nothing here is shared
 * with another Fastify instance; close() undoes what the constructor started.
 */
export class PprofContext {
  readonly options: ResolvedOptions
  readonly symbols: SymbolTable
  readonly sampler: RuntimeSampler
  readonly frameMapper: FrameMapper
  /** The interval the shared heap sampler really runs at. */
  readonly heapIntervalBytes: number
  /** How heap profiles are read in this process: npm pprof, @datadog/pprof or the inspector. */
  readonly heapEngine: LoadedEngine
  /** Heap captures on a timer and their verdict; undefined with `leakWatch: false`. */
  readonly leakWatch: LeakWatch | undefined
  /** The census of collections beside the leak watch; undefined until the scope exists, and with it off. */
  census: Census | undefined
  /** The stall catcher, made on the app's instance (its hooks see the app's routes); undefined with `stallWatch: false`. */
  stalls: StallWatch | undefined
  readonly #shutdown = new AbortController()
  readonly #releaseHeap: () => void
  readonly #log: Logger
  #gc: (() => void) | undefined

  constructor (options: ResolvedOptions, log: Logger = SILENT) {
    this.options = options
    this.#log = log
    // First: the only step that can throw (a forced heap engine that will not load), before anything starts.
    const sampler = retainHeapSampler(options.heapIntervalBytes, options.heapStackDepth)
    this.heapIntervalBytes = sampler.intervalBytes
    this.heapEngine = sampler.engine
    this.#releaseHeap = () => sampler.release()
    this.symbols = new SymbolTable(options.symbolTableSize)
    this.frameMapper = createFrameMapper(options.sourceMaps)
    this.sampler = new RuntimeSampler({
      intervalMs: options.statsIntervalMs,
      costlyIntervalMs: options.costlyStatsIntervalMs,
      historySize: Math.ceil(options.historySeconds * 1000 / options.statsIntervalMs)
    })
    this.leakWatch = options.leakWatch === false
      ? undefined
      : new LeakWatch(options.leakWatch, this.heapIntervalBytes, this.sampler.gc, this.frameMapper, log, this.heapEngine.engine.name === 'inspector')
  }

  /**
   * Starts the census once the plugin's scope exists: it walks from the app's
   * root instance and server, and skips the plugin's own state.
   */
  startCensus (scope: object, server: object): void {
    const lw = this.options.leakWatch
    if (lw === false || !lw.census || this.census !== undefined) return
    this.census = new Census({ intervalMs: lw.intervalMs, keep: lw.keep, maxObjects: CENSUS_MAX_OBJECTS }, { scope, server, own: [this] }, this.#log)
  }

  /** The leak watch's verdict and suspects with the census's holders; undefined with `leakWatch: false`. */
  leakReport (): LeakReportWithHolders | undefined {
    const report = this.leakWatch?.report()
    return report === undefined ? undefined : withHolders(report, this.census?.holders() ?? [])
  }

  /** Aborted when the app starts closing: running profiles end at once. */
  get shutdownSignal (): AbortSignal {
    return this.#shutdown.signal
  }

  beginShutdown (): void {
    this.#shutdown.abort(new Error('shutdown'))
  }

  close (): void {
    this.beginShutdown()
    this.leakWatch?.stop()
    this.census?.stop()
    this.sampler.stop()
    this.frameMapper.close()
    this.#releaseHeap()
  }

  /**
   * A full, blocking GC without starting Node with --expose-gc. The function
   * is fetched once: each fetch costs a new vm context (about 1 MB) that
   * would itself show up in the heap profile.
   */
  collectGarbage (): void {
    if (this.#gc === undefined) {
      const existing = (globalThis as { gc?: () => void }).gc
      if (typeof existing === 'function') {
        this.#gc = existing
      } else {
        setFlagsFromString('--expose-gc')
        try {
          this.#gc = runInNewContext('gc') as () => void
        } finally {
          // Only our context gets gc(); contexts the app creates later do not.
          setFlagsFromString('--no-expose-gc')
        }
      }
    }
    this.#gc?.()
  }
}
