import { InspectorBridge } from './bridge.js'
import { HolderHistory, type Holder } from './holders.js'
import { type CensusRoots, censusRoots, cjsFiles, standardGlobals } from './roots.js'
import { CensusWalk, Identity, type WalkLimits, type WalkStats } from './walk.js'

export type { Holder } from './holders.js'
export type { CensusRoots } from './roots.js'

export interface CensusSettings {
  readonly intervalMs: number
  readonly keep: number
  readonly maxObjects: number
}

export interface CensusLogger {
  warn (obj: object, msg: string): void
}

/** What /stats and the page show of the census. */
export interface CensusStatus {
  readonly available: boolean
  /** Why not, when it is unavailable. */
  readonly reason: string | null
  readonly censuses: number
  readonly collections: number
  readonly last: (WalkStats & { readonly at: number, readonly durationMs: number }) | null
}

// The census's share of one core at most, whatever the interval: 0.2 % at the 5-minute default on a small app.
const MAX_SHARE = 0.25
// Deep enough for an ES module's variable reached through a router's route table (the issue measured 40 levels).
const MAX_DEPTH = 48

/**
 * The census of collections of one registration: every interval, a walk of
 * what the app's code can reach, recording the size of every Map, Set,
 * array, listener list and dictionary; the collections whose size keeps
 * rising are the holders of what grows. It runs no app code, keeps nothing
 * it saw past a census, and holds one in-process inspector session.
 */
export class Census {
  readonly history: HolderHistory
  readonly #settings: CensusSettings
  readonly #roots: CensusRoots
  readonly #log: CensusLogger
  readonly #identity = new Identity()
  readonly #stop = new AbortController()
  readonly #bridge: InspectorBridge | undefined
  readonly #reason: string | null
  #standard: { names: Set<string>, values: object[] } | undefined
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #last: CensusStatus['last'] = null

  constructor (settings: CensusSettings, roots: CensusRoots, log: CensusLogger) {
    this.#settings = settings
    this.#roots = roots
    this.#log = log
    this.history = new HolderHistory(settings.keep)
    let bridge: InspectorBridge | undefined
    let reason: string | null = null
    try {
      bridge = new InspectorBridge()
    } catch (err) {
      reason = `no in-process inspector session: ${(err as Error).message} (a Node built without the inspector has none)`
    }
    this.#bridge = bridge
    this.#reason = reason
    if (bridge !== undefined) this.#schedule()
  }

  holders (): Holder[] {
    return this.history.holders()
  }

  status (): CensusStatus {
    return { available: this.#bridge !== undefined, reason: this.#reason, censuses: this.history.censuses, collections: this.history.tracked, last: this.#last }
  }

  /** Learns the scripts' URLs before the server serves: call at the app's onReady. */
  prepare (): void {
    if (this.#bridge === undefined || this.#stop.signal.aborted) return
    try {
      this.#bridge.learnScriptsNow()
    } catch (err) {
      this.#log.warn({ err }, 'fastify-pprof: census could not list scripts')
    }
  }

  /** One census now (the timer runs them otherwise); resolves when it is done. */
  async runOnce (): Promise<void> {
    if (this.#running === undefined) {
      this.#running = this.#run().finally(() => { this.#running = undefined })
    }
    return await this.#running
  }

  stop (): void {
    this.#stop.abort(new Error('closed'))
    clearTimeout(this.#timer)
    // A session left connected makes Node wait for the debugger at exit.
    this.#bridge?.close()
  }

  #schedule (): void {
    if (this.#stop.signal.aborted) return
    // At short intervals a census would take most of a core: it waits at least MAX_SHARE's worth of its own cost.
    const delay = Math.max(this.#settings.intervalMs, (this.#last?.cpuMs ?? 0) / MAX_SHARE)
    this.#timer = setTimeout(() => {
      this.runOnce().catch(() => {}).finally(() => this.#schedule())
    }, delay).unref()
  }

  async #run (): Promise<void> {
    const bridge = this.#bridge
    if (bridge === undefined || this.#stop.signal.aborted) return
    const started = performance.now()
    this.#standard ??= standardGlobals()
    bridge.allowScriptLookup()
    const limits: WalkLimits = { maxObjects: this.#settings.maxObjects, maxDepth: MAX_DEPTH }
    const skip = [...this.#roots.own, this.#roots.scope, this, ...this.#standard.values]
    const walk = new CensusWalk(bridge, this.#identity, limits, this.#stop.signal, skip, cjsFiles())
    try {
      const { collections, stats } = await walk.run(censusRoots(this.#roots, this.#standard.names))
      const at = Date.now()
      this.history.add(at, collections)
      this.#last = { ...stats, at, durationMs: performance.now() - started }
    } catch (err) {
      if (!this.#stop.signal.aborted) this.#log.warn({ err }, 'fastify-pprof: census failed')
    }
  }
}
