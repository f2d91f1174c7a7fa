import { getHeapStatistics } from 'node:v8'
import { gzipSync } from 'node:zlib'
import { Slicer } from '../cooperative.js'
import { buildProfile } from '../pprof/builder.js'
import { FrameTable, type FrameMapper } from '../pprof/frames.js'
import { heapShape } from '../pprof/shapes.js'
import { collectHeapStacks } from '../profiler/heap.js'
import { heapSamplerPaused } from '../profiler/process-guard.js'
import type { ResolvedOptions } from '../options.js'
import type { GcStats } from '../stats/gc.js'
import { analyze, type LeakReport } from './analysis.js'
import { EvidenceDir } from './evidence.js'
import { oldGenerationGivesUpAt, oldGenerationUsed } from './heap-limit.js'
import { growthSince } from './profiles.js'
import { CaptureRing } from './ring.js'

export type LeakWatchSettings = Exclude<ResolvedOptions['leakWatch'], false>

export interface Logger {
  warn (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

// The longest a due capture waits for a natural major GC before it is taken anyway, whatever the interval: a
// capture taken without one holds garbage the verdict cannot use (V8 12+ on a quiet server can go minutes
// between major GCs; Go's own runtime forces one every 2 minutes, which this watch never does).
const MAX_GC_WAIT_MS = 300_000
// Evidence files kept in the directory: the newest few crashes, a pair each.
const MAX_EVIDENCE_FILES = 10
// Usage must fall this far below the threshold before evidence is written again.
const REARM_FRACTION = 0.8
// Captures and evidence catch and log their own failures.
const ignore = (): void => {}

/**
 * The leak watch of one registration: every interval, an in-use heap capture
 * into a bounded ring, taken just after the next natural major GC (never a
 * forced one) or, if none comes within five minutes, anyway; and, when the old generation
 * nears V8's limit, the newest capture and the growth since the oldest written
 * to disk before an out-of-memory crash can take them.
 */
export class LeakWatch {
  readonly ring: CaptureRing
  readonly evidence: EvidenceDir | undefined
  readonly #settings: LeakWatchSettings
  readonly #intervalBytes: number
  readonly #mapper: FrameMapper
  readonly #log: Logger
  readonly #readsAfterGc: boolean
  /** Bytes of old generation past which evidence is written: fixed for the process's life, read once. */
  readonly #threshold: number
  readonly #stop = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #armed = false
  #dueAt = 0
  #capturing = false
  #nearLimit = false
  #report: { at: number, report: LeakReport } | undefined

  /** `readsAfterGc`: the heap engine collects garbage before every read (the inspector), so every capture is post-GC. */
  constructor (settings: LeakWatchSettings, intervalBytes: number, gc: GcStats, mapper: FrameMapper, log: Logger, readsAfterGc = false) {
    this.#settings = settings
    this.#readsAfterGc = readsAfterGc
    this.#intervalBytes = intervalBytes
    this.#mapper = mapper
    this.#log = log
    this.#threshold = settings.nearHeapLimit * oldGenerationGivesUpAt()
    this.ring = new CaptureRing(settings.keep)
    this.evidence = new EvidenceDir(settings.dir, MAX_EVIDENCE_FILES)
    try {
      this.evidence.prepare()
    } catch (err) {
      log.error({ err }, `fastify-pprof: leak watch cannot use ${settings.dir}; no evidence will be written`)
      this.evidence = undefined
    }
    gc.onGc((kind) => { if (kind === 'major') this.#afterMajorGc() })
    this.#schedule(settings.intervalMs)
  }

  /** The ring's verdict, recomputed only when a capture was added (and given the one before it, for hysteresis). */
  report (): LeakReport {
    const last = this.ring.captures[this.ring.captures.length - 1]?.at ?? 0
    // The previous report's verdict and suspects: a site once named needs better evidence to be let go (hysteresis).
    if (this.#report?.at !== last) this.#report = { at: last, report: analyze(this.ring, this.#intervalBytes, this.#report?.report) }
    return this.#report.report
  }

  stop (): void {
    this.#stop.abort()
    clearTimeout(this.#timer)
  }

  /** When the next capture is due (it may wait up to five minutes more for a major GC), ms since the epoch. */
  get nextCaptureAt (): number {
    return this.#dueAt
  }

  /**
   * Old-generation bytes past which evidence is written: nearHeapLimit of where
   * V8 may give up (80 % of the old generation's ceiling), so 72 % of the
   * ceiling by default. Rounded up: used bytes are whole, so the comparison is the same.
   */
  get evidenceThresholdBytes (): number {
    return Math.ceil(this.#threshold)
  }

  get settings (): LeakWatchSettings {
    return this.#settings
  }

  /**
   * The next capture is due in `ms`: the first major GC from half an interval
   * before that on takes it, or, if none comes, the end of the wait after it.
   * An engine that collects before every read needs no major GC: it captures when due.
   */
  #schedule (ms: number): void {
    if (this.#stop.signal.aborted) return
    this.#dueAt = Date.now() + ms
    clearTimeout(this.#timer)
    this.#timer = this.#readsAfterGc
      ? setTimeout(() => { this.#capture(false).catch(ignore) }, ms).unref()
      : setTimeout(() => this.#arm(), ms / 2).unref()
  }

  #arm (): void {
    this.#armed = true
    const deadline = this.#dueAt + MAX_GC_WAIT_MS - Date.now()
    this.#timer = setTimeout(() => { this.#capture(false).catch(ignore) }, Math.max(0, deadline)).unref()
  }

  #afterMajorGc (): void {
    this.#checkHeapLimit()
    if (!this.#armed) return
    clearTimeout(this.#timer)
    // The GC entry arrives after the collection: the heap is as small as it gets right now.
    setImmediate(() => { this.#capture(true).catch(ignore) })
  }

  async #capture (afterGc: boolean): Promise<void> {
    if (this.#stop.signal.aborted || this.#capturing) return
    this.#armed = false
    // An allocation window holds V8's one sampler: take this capture when it is back.
    if (heapSamplerPaused()) return this.#schedule(1000)
    this.#capturing = true
    try {
      const heapUsed = getHeapStatistics().used_heap_size
      const stacks = await collectHeapStacks(this.ring.frames, new Slicer(this.#stop.signal))
      this.ring.add({ at: Date.now(), heapUsed, afterGc: afterGc || this.#readsAfterGc, frames: this.ring.frames, stacks })
    } catch (err) {
      if (!this.#stop.signal.aborted) this.#log.warn({ err }, 'fastify-pprof: leak watch capture failed')
    } finally {
      this.#capturing = false
      this.#schedule(this.#settings.intervalMs)
    }
  }

  #checkHeapLimit (): void {
    if (this.evidence === undefined) return
    const threshold = this.#threshold
    const used = oldGenerationUsed()
    if (used < threshold * REARM_FRACTION) this.#nearLimit = false
    if (used < threshold || this.#nearLimit || heapSamplerPaused()) return
    this.#nearLimit = true
    this.#writeEvidence(used, threshold).catch(ignore)
  }

  /** The heap now and what grew since the oldest capture, as files, at once: the process may have seconds left. */
  async #writeEvidence (used: number, threshold: number): Promise<void> {
    const evidence = this.evidence as EvidenceDir
    // No yields: nothing else runs before the files are on disk.
    const slicer = new Slicer(undefined, Infinity)
    try {
      const frames = new FrameTable()
      const at = Date.now()
      const stacks = await collectHeapStacks(frames, slicer)
      const oldest = this.ring.captures[0]
      // The growth shares the frames of the heap now: both are mapped (source maps) once, together.
      const growth = oldest === undefined ? undefined : await growthSince(this.ring, oldest, slicer, { at, stacks, frames })
      await this.#mapper.map(frames, slicer)
      const shape = heapShape(this.#intervalBytes)
      const comments = [`Written by the leak watch at ${new Date(at).toISOString()}: old generation ${Math.round(used / 1048576)} MB, past ${Math.round(threshold / 1048576)} MB (nearHeapLimit).`]
      const heap = await buildProfile(shape, frames, stacks.values(), { timeNanos: at * 1e6, comments }, slicer)
      const names = [evidence.write('heap', gzipSync(heap, { level: 1 }), at)]
      if (growth !== undefined) {
        const raw = await buildProfile(shape, frames, growth.stacks.values(), { ...growth.meta, comments: [...comments, ...(growth.meta.comments ?? [])] }, slicer)
        names.push(evidence.write('growth', gzipSync(raw, { level: 1 }), at))
      }
      this.#log.error({ files: names, dir: evidence.path }, 'fastify-pprof: heap near its limit; heap profiles written for after the crash')
    } catch (err) {
      this.#log.error({ err }, 'fastify-pprof: could not write the near-limit heap profiles')
    }
  }
}
