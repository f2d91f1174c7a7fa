import { THRESHOLDS } from '../leaks/analysis.js'
import { mannKendall, theilSen } from '../leaks/trend.js'
import type { Collection, CollectionKind } from './walk.js'

/** A collection whose entries keep rising across censuses: names fixed, tools read them. */
export interface Holder {
  /** Root to collection, in words: `module node_modules/x/index.js › pending`, `app › sessions › #byId`. */
  readonly path: string
  /** The module whose scope or exports hold it, where known. */
  readonly file: string | null
  readonly kind: CollectionKind
  /** Entries in the newest census. */
  readonly entries: number
  /** Entries added over the window, by the trend line (Theil–Sen). */
  readonly growth: number
  readonly entriesPerHour: number
  /** Constructor names of a few keys and values. */
  readonly sample: { readonly keys: readonly string[], readonly values: readonly string[] }
  /** Mann–Kendall one-sided p of "it keeps growing", over the window and its second half. */
  readonly p: number
  readonly recentP: number
  /**
   * How many growing collections this one stands for: siblings whose paths differ only by an index (each leaked
   * listener's own array, each element's cache) are one row, `*` in place of the index, the most certain one's
   * figures. 1 when it is alone.
   */
  readonly alike: number
}

/** Tuning of the holder test, beside the suspects' (THRESHOLDS): a holder must have grown by this many entries. */
export const HOLDER_THRESHOLDS = Object.freeze({
  minCensuses: THRESHOLDS.minCaptures,
  minGrowthEntries: 32,
  alpha: THRESHOLDS.alpha,
  recentAlpha: THRESHOLDS.recentAlpha
})

// Series kept at most: past it, the collections the newest census did not see go first.
const MAX_SERIES = 50_000
const HOUR_MS = 3_600_000

interface Series {
  latest: Collection
  /** Entries per census, aligned with the ring's times; NaN where the census did not see it. */
  readonly entries: number[]
}

/**
 * The censuses' history: each collection's entries over the last `keep`
 * censuses, by id. A holder is named from the trend of many censuses,
 * never from one reading, by the same tests as the leak watch's suspects:
 * exact counts, so no sampling noise and no garbage to wait out.
 */
export class HolderHistory {
  readonly #keep: number
  readonly #times: number[] = []
  readonly #series = new Map<number, Series>()
  #holders: Holder[] | undefined

  constructor (keep: number) {
    this.#keep = keep
  }

  get censuses (): number {
    return this.#times.length
  }

  get tracked (): number {
    return this.#series.size
  }

  add (at: number, collections: readonly Collection[]): void {
    this.#holders = undefined
    this.#times.push(at)
    const full = this.#times.length > this.#keep
    if (full) this.#times.shift()
    const n = this.#times.length
    const seen = new Set<number>()
    for (const c of collections) {
      if (seen.has(c.id)) continue
      seen.add(c.id)
      let s = this.#series.get(c.id)
      if (s === undefined) {
        if (this.#series.size >= MAX_SERIES) continue
        s = { latest: c, entries: new Array<number>(n - 1).fill(NaN) }
        this.#series.set(c.id, s)
      } else if (full) {
        s.entries.shift()
      }
      s.latest = c
      s.entries.push(c.entries)
    }
    for (const [id, s] of this.#series) {
      if (seen.has(id)) continue
      if (full) s.entries.shift()
      s.entries.push(NaN)
      // A collection no census saw over the whole window is gone.
      if (s.entries.every(Number.isNaN)) this.#series.delete(id)
    }
  }

  /** The holders, most certain first; computed once per census. */
  holders (): Holder[] {
    if (this.#holders === undefined) this.#holders = this.#compute()
    return this.#holders
  }

  #compute (): Holder[] {
    const t = HOLDER_THRESHOLDS
    const candidates: Array<{ s: Series, slope: number, span: number, ys: number[], ts: number[] }> = []
    for (const s of this.#series.values()) {
      // The newest unbroken run of censuses that saw it.
      let start = s.entries.length
      while (start > 0 && !Number.isNaN(s.entries[start - 1])) start--
      const ys = s.entries.slice(start)
      if (ys.length < t.minCensuses) continue
      const ts = this.#times.slice(start)
      const slope = theilSen(ts, ys)
      const span = (ts[ts.length - 1] as number) - (ts[0] as number)
      if (slope * span >= t.minGrowthEntries) candidates.push({ s, slope, span, ys, ts })
    }
    const alpha = t.alpha / Math.max(1, candidates.length)
    const out: Holder[] = []
    for (const { s, slope, span, ys, ts } of candidates) {
      const p = mannKendall(ys).pIncreasing
      const half = Math.floor(ys.length / 2)
      const recentP = mannKendall(ys.slice(half)).pIncreasing
      if (p >= alpha || recentP >= t.recentAlpha || theilSen(ts.slice(half), ys.slice(half)) <= 0) continue
      const c = s.latest
      out.push({
        path: c.path,
        file: c.file ?? null,
        kind: c.kind,
        entries: c.entries,
        growth: Math.round(slope * span),
        entriesPerHour: Math.round(slope * HOUR_MS),
        sample: c.sample,
        p,
        recentP,
        alike: 1
      })
    }
    return mergeAlike(out.sort((a, b) => a.p - b.p || b.growth - a.growth))
  }
}

// An index between two path segments, or at its end: ` › 12 › ` or ` › 12`.
const INDEX = / › \d+(?= › |$)/g

/**
 * Holders whose paths differ only by indexes, as one: a thousand leaked listeners each growing its own array are
 * one finding, and as many rows would push the others out of every list that shows the first few.
 */
export function mergeAlike (holders: readonly Holder[]): Holder[] {
  const groups = new Map<string, Holder[]>()
  for (const h of holders) {
    const key = `${h.kind}\0${h.path.replace(INDEX, ' › *')}`
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [h])
    else group.push(h)
  }
  // Map order is first insertion: the most certain of each group, in the input's order.
  return [...groups.values()].map((group) => {
    const first = group[0] as Holder
    return group.length === 1 ? first : { ...first, path: first.path.replace(INDEX, ' › *'), alike: group.length }
  })
}
