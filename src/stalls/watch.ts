import type { Profiler } from 'node:inspector'
import { type EventLoopUtilization, performance } from 'node:perf_hooks'
import type { Worker } from 'node:worker_threads'
import { frameFile, functionName } from '../profiler/names.js'
import { CPU_BY_STALL_WATCH, CPU_FREE, cpuClaimBuffer } from '../profiler/process-guard.js'
import type { GcStats } from '../stats/gc.js'
import { type Beat, createBeat, ROUTE, SEQ, type StallReport, startWatchdog, stopWatchdog } from './watchdog.js'

export interface StallWatchSettings {
  readonly thresholdMs: number
  readonly keep: number
}

/** One frame of a stall's top, by self samples. */
export interface StallFrame {
  readonly function: string
  readonly file: string
  readonly line: number
}

/** One stall: plain data only (strings and numbers from V8's profile), never an app object. */
export interface Stall {
  readonly id: number
  /** When the loop stopped turning, ms since the epoch. */
  readonly at: number
  /** How long the loop was busy without turning, in ms. */
  readonly durationMs: number
  /** The route pattern being served, when one was. */
  route: string | null
  /** GC pause time inside the stall, in ms, from perf_hooks' GC entries (see gcMsOf). */
  gcMs: number
  /** GC time in the stall's profile: its '(garbage collector)' samples, in ms. */
  gcSampledMs: number
  top: readonly StallFrame[]
  /** Until the watchdog's report: pending. */
  state: 'pending' | 'profiled' | 'unprofiled'
  /** The profile as JSON text (UTF-8 bytes, off the heap): `stallProfileOf` reads it. */
  profile: Uint8Array | null
  /** Why there is no profile. */
  reason: string | null
  readonly seq: number
  /** The stall's window on this thread's performance.now() clock, for GC overlap. */
  readonly fromMs: number
  readonly toMs: number
}

// 1 kHz: a 300 ms stall gets about 300 samples (Go's 100 Hz would give 30); measured within this machine's noise
// for the short time a stall lasts, and the profiler is off between stalls.
export const STALL_SAMPLING_MICROS = 1000
// The heartbeat's period: often enough that a beat is never near thresholdMs old on a loop that turns.
const MAX_BEAT_MS = 50
// Route patterns given an id (ids cross to the watchdog as integers); patterns are bounded by the app's routes.
const MAX_ROUTES = 10_000
// GC pauses remembered for the overlap with a stall: a stall that allocates hard can hold hundreds of minor GCs.
const GC_RING = 1024
// A stall whose report has not come by then (the watchdog woke after it ended) has no profile.
const REPORT_WAIT_MS = 5000
// A stall longer than this is profiled for its first 30 s; its report then comes before the loop turns.
const MAX_PROFILE_MS = 30_000
const TOP = 5
const SKIPPED = new Set(['(root)', '(idle)', '(program)'])

/** A stall's kept profile, parsed (read when it is served: kept as bytes in between). */
export function stallProfileOf (bytes: Uint8Array): Profiler.Profile {
  return JSON.parse(new TextDecoder().decode(bytes)) as Profiler.Profile
}

/**
 * A stall's GC time: the larger of two lower bounds. perf_hooks' GC entries cover the whole stall, but not all
 * of V8's collection work (Node 26 reported no entry at all for some 600 ms stalls of allocation, where the
 * profile had a third of its samples in '(garbage collector)'); the profile's samples cover only the time
 * since detection.
 */
export function gcMsOf (stall: Stall): number {
  return Math.max(stall.gcMs, stall.gcSampledMs)
}

/** The profile's time in '(garbage collector)', in ms: its share of the samples times the profile's length. */
export function sampledGcMs (profile: Profiler.Profile): number {
  let all = 0
  let gc = 0
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0
    all += hits
    if (node.callFrame.functionName === '(garbage collector)') gc += hits
  }
  // The inspector's times are in microseconds.
  return all === 0 ? 0 : (gc / all) * (profile.endTime - profile.startTime) / 1000
}

/** The functions with the most self samples, first the one the stall spent its time in. */
export function topFrames (profile: Profiler.Profile, limit = TOP): StallFrame[] {
  const byKey = new Map<string, { frame: StallFrame, samples: number }>()
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0
    const { functionName: name, url, lineNumber } = node.callFrame
    if (hits === 0 || SKIPPED.has(name)) continue
    const file = frameFile(url)
    // CDP lines are 0-based; pprof's and editors' are 1-based (0: unknown, as for native frames).
    const line = lineNumber + 1
    const fn = functionName(name, file, line)
    const key = `${fn}\0${file}\0${line}`
    const entry = byKey.get(key)
    if (entry === undefined) byKey.set(key, { frame: { function: fn, file, line }, samples: hits })
    else entry.samples += hits
  }
  return [...byKey.values()].sort((a, b) => b.samples - a.samples).slice(0, limit).map((e) => e.frame)
}

/**
 * The stall catcher of one registration. The main thread beats (a timer
 * writes the time into shared memory); the watchdog thread starts V8's CPU
 * profiler on this thread once the beat is thresholdMs old, while the stall
 * still runs, and stops it when the beat moves again. The beat itself
 * measures the stall: its busy time (event-loop utilization: the wait for
 * I/O before the stall is idle time) across the late beat's gap.
 */
export class StallWatch {
  readonly settings: StallWatchSettings
  /** Stalls seen since start, evicted ones included (the /metrics counter). */
  total = 0
  readonly #beat: Beat = createBeat()
  readonly #ring: Stall[] = []
  readonly #routeIds = new Map<string, number>()
  // Id 0 is "no route".
  readonly #routeNames: string[] = ['']
  readonly #gcRing = new Float64Array(GC_RING * 2)
  #gcCount = 0
  readonly #beatMs: number
  #timer: NodeJS.Timeout | undefined
  #worker: Worker | undefined
  #lastMs = performance.now()
  #lastElu: EventLoopUtilization = performance.eventLoopUtilization()
  #seq = 0
  #ids = 0
  #stopped = false
  // A report that came before its stall was recorded (a profile cut at MAX_PROFILE_MS while the loop was still stuck).
  #early: StallReport | undefined
  readonly #onStall: Array<(stall: Stall) => void> = []
  #error: string | null = null

  constructor (settings: StallWatchSettings) {
    this.settings = settings
    this.#beatMs = Math.max(5, Math.min(MAX_BEAT_MS, Math.floor(settings.thresholdMs / 4)))
  }

  /** Starts beating and the watchdog. Idempotent. */
  start (): void {
    if (this.#timer !== undefined || this.#stopped) return
    this.#lastMs = performance.now()
    this.#lastElu = performance.eventLoopUtilization()
    this.#publish()
    this.#timer = setInterval(() => this.#tick(), this.#beatMs)
    this.#timer.unref()
    try {
      this.#worker = startWatchdog({
        beat: this.#beat.buffer,
        claim: cpuClaimBuffer(),
        thresholdMs: this.settings.thresholdMs,
        intervalMicros: STALL_SAMPLING_MICROS,
        maxProfileMs: MAX_PROFILE_MS,
        free: CPU_FREE,
        mine: CPU_BY_STALL_WATCH
      }, (report) => this.#onReport(report), (err) => {
        // Stalls are still measured, without profiles.
        this.#error = err.message
        this.#worker = undefined
      })
    } catch (err) {
      this.#error = (err as Error).message
    }
  }

  /** Feeds GC pauses, for each stall's gcMs. */
  watchGc (gc: GcStats): void {
    gc.onGc((_kind, pauseSeconds, startMs) => this.#gcPause(startMs, startMs + pauseSeconds * 1000))
  }

  onStall (listener: (stall: Stall) => void): void {
    this.#onStall.push(listener)
  }

  /** Why stalls come without profiles (the watchdog failed to start or died), or null. */
  get watchdogError (): string | null {
    return this.#error
  }

  /** From the app's hooks: the route now served (a pattern, never a URL). */
  serving (url: string | undefined): void {
    Atomics.store(this.#beat.ints, ROUTE, url === undefined ? 0 : this.#routeId(url))
  }

  served (): void {
    Atomics.store(this.#beat.ints, ROUTE, 0)
  }

  /** The kept stalls, newest first. */
  list (): readonly Stall[] {
    const now = performance.now()
    for (const s of this.#ring) {
      if (s.state === 'pending' && (this.#worker === undefined || now - s.toMs > REPORT_WAIT_MS)) {
        s.state = 'unprofiled'
        s.reason = this.#worker === undefined ? `no watchdog: ${this.#error ?? 'stopped'}` : 'the watchdog saw the loop turn before it could start the profiler'
      }
    }
    return [...this.#ring].reverse()
  }

  get (id: number): Stall | undefined {
    return this.#ring.find((s) => s.id === id)
  }

  async stop (): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    const worker = this.#worker
    this.#worker = undefined
    if (worker !== undefined) await stopWatchdog(worker)
    this.#onStall.length = 0
  }

  #publish (): void {
    Atomics.store(this.#beat.ints, SEQ, this.#seq)
    Atomics.store(this.#beat.time, 0, process.hrtime.bigint())
  }

  #tick (): void {
    const now = performance.now()
    const elu = performance.eventLoopUtilization()
    if (now - this.#lastMs >= this.settings.thresholdMs) {
      const busyMs = elu.active - this.#lastElu.active
      if (busyMs >= this.settings.thresholdMs) this.#record(now, busyMs)
    }
    this.#lastMs = now
    this.#lastElu = elu
    this.#seq = (this.#seq + 1) | 0
    this.#publish()
  }

  #record (now: number, busyMs: number): void {
    const routeId = Atomics.load(this.#beat.ints, ROUTE)
    const stall: Stall = {
      id: ++this.#ids,
      at: Math.round(performance.timeOrigin + now - busyMs),
      durationMs: Math.round(busyMs),
      route: routeId === 0 ? null : this.#routeNames[routeId] ?? null,
      gcMs: 0,
      gcSampledMs: 0,
      top: [],
      state: this.#worker === undefined ? 'unprofiled' : 'pending',
      profile: null,
      reason: this.#worker === undefined ? `no watchdog: ${this.#error ?? 'stopped'}` : null,
      seq: this.#seq,
      fromMs: this.#lastMs,
      toMs: now
    }
    // Pauses already delivered; later ones are added as they come (#gcPause).
    const n = Math.min(this.#gcCount, GC_RING)
    for (let i = 0; i < n; i++) {
      const at = ((this.#gcCount - 1 - i) % GC_RING) * 2
      stall.gcMs += overlap(stall, this.#gcRing[at] ?? 0, this.#gcRing[at + 1] ?? 0)
    }
    if (this.#early?.seq === stall.seq) this.#apply(stall, this.#early)
    this.#early = undefined
    this.total++
    this.#ring.push(stall)
    if (this.#ring.length > this.settings.keep) this.#ring.shift()
    for (const listener of this.#onStall) listener(stall)
  }

  #onReport (report: StallReport): void {
    const stall = this.#ring.find((s) => s.seq === report.seq && s.state === 'pending')
    if (stall === undefined) {
      // The beat has not moved: the stall is still on, and is recorded when the loop turns.
      if (Atomics.load(this.#beat.ints, SEQ) === report.seq) this.#early = report
      return
    }
    this.#apply(stall, report)
  }

  #apply (stall: Stall, report: StallReport): void {
    // Read by the watchdog while the stall ran: better than what the hooks say after it.
    if (report.route !== 0) stall.route = this.#routeNames[report.route] ?? stall.route
    if (report.profile === null) {
      stall.state = 'unprofiled'
      stall.reason = report.reason
    } else {
      stall.state = 'profiled'
      stall.profile = report.profile
      const profile = stallProfileOf(report.profile)
      stall.top = topFrames(profile)
      stall.gcSampledMs = sampledGcMs(profile)
    }
  }

  #gcPause (from: number, to: number): void {
    const at = (this.#gcCount % GC_RING) * 2
    this.#gcRing[at] = from
    this.#gcRing[at + 1] = to
    this.#gcCount++
    // perf_hooks delivers GC entries after the pause, maybe after the stall was recorded.
    for (let i = this.#ring.length - 1; i >= 0 && i >= this.#ring.length - 4; i--) {
      const stall = this.#ring[i] as Stall
      stall.gcMs += overlap(stall, from, to)
    }
  }

  #routeId (url: string): number {
    let id = this.#routeIds.get(url)
    if (id === undefined) {
      if (this.#routeNames.length >= MAX_ROUTES) return 0
      id = this.#routeNames.length
      this.#routeNames.push(url)
      this.#routeIds.set(url, id)
    }
    return id
  }
}

function overlap (stall: Stall, from: number, to: number): number {
  return Math.max(0, Math.min(stall.toMs, to) - Math.max(stall.fromMs, from))
}
