import type { Frame, FrameTable, StackRecord } from '../pprof/frames.js'
import { StackSet } from '../pprof/frames.js'
import { formatDuration } from '../duration.js'
import type { Growth } from './profiles.js'
import type { Capture, CaptureRing } from './ring.js'
import { mannKendall, median } from './trend.js'

/**
 * `/heap?since=`: what grew since a time, robust to a churning site's noise.
 *
 * A two-point difference (one capture then, the heap now) is fooled by churn:
 * a capture taken right after a natural major GC still holds the old
 * generation's floating garbage (objects allocated, or promoted, while V8 was
 * marking survive that GC), which for a bounded cache that turns over quickly
 * is megabytes that come and go from one capture to the next; and the heap now,
 * read between GCs, holds every replaced entry the old generation has not
 * collected yet. A cache three times the size of a slow leak's growth then tops
 * the delta as the largest growth or the largest shrink. So:
 *
 * 1. **Like with like.** Both ends are made of captures taken right after a major
 *    GC. The heap now joins the `now` end only when it is read after a
 *    collection too (`?gc=1`, or an engine that collects before every read).
 * 2. **Robust ends, a resistant line.** The captures used run from the post-GC
 *    capture nearest the requested time to the newest (plus the heap now, as
 *    above). Each end is the per-stack median of a third of them (Tukey's
 *    three-group resistant line): the first third and the last third, at least
 *    one each. Neither one capture's floating garbage nor the sampler's own
 *    noise on a large site (a 6 MB cache at 128 KiB sampling is ~50 samples,
 *    give or take 7 from one capture to the next) moves a median of many. The
 *    difference over the ends' median times, times the span from the first
 *    capture used to the newest, is the growth over the profile's window. For a
 *    stack that only grows, a median is a middle capture's value, so a leak's
 *    medians add up across stacks exactly.
 * 3. **Shrinkage by trend.** Churn moves both ways; a leak only rises. Each
 *    site (the allocating function, as the verdict counts it) gets a
 *    Mann–Kendall test over the captures used; its stacks' differences are kept
 *    whole when |z| ≥ 3.09 (a monotone trend at 0.2 %, either way, so a real
 *    shrink stays), dropped when |z| ≤ 1.96 (no trend at 5 %: what remains is
 *    noise), and scaled linearly between. Strict, because a heap has hundreds
 *    of sites, and because a churning site's floating garbage can drift with
 *    the heap's size (a larger old generation takes longer to mark); a leak
 *    rises at every capture and passes |z| 5 within 20 captures. Needs 8
 *    captures (below that no series reaches |z| 3.09, as for the verdict); with
 *    fewer, the medians alone.
 *
 * Why not each site's Theil–Sen slope times the window: the slope is per site,
 * the profile per stack, and the sum of per-stack slopes undercounts a leak
 * spread thinly over stacks that each gain one sample (a step's median pairwise
 * slope is zero unless the step falls mid-window); medians of ends sum exactly.
 *
 * With fewer than two post-GC captures from the requested time on, the answer is undefined and
 * the caller falls back to the two-point difference, saying so.
 */
export const SINCE = Object.freeze({
  /** Fewest post-GC captures for the trend test per site (below 8, no series reaches |z| 3.09). */
  minTrendCaptures: 8,
  /** |z| at and below which a site's difference is dropped (5 %, two-sided), and from which it is kept whole (0.2 %). */
  zDrop: 1.96,
  zKeep: 3.09
})

/** The heap read for this request, with whether a collection ran just before it. */
export interface HeapNow {
  readonly at: number
  readonly stacks: StackSet
  readonly afterGc: boolean
}

function siteKey (frame: Frame): string {
  return `${frame.name}\0${frame.file}\0${frame.functionLine || frame.line}`
}

/** The weight of a site's difference from its trend's |z|: 0 up to zDrop, 1 from zKeep, linear between. */
export function trendWeight (z: number): number {
  const a = Math.abs(z)
  if (a <= SINCE.zDrop) return 0
  if (a >= SINCE.zKeep) return 1
  return (a - SINCE.zDrop) / (SINCE.zKeep - SINCE.zDrop)
}

/**
 * Which post-GC captures make each end: of those from the one nearest
 * `sinceAt` to the newest (and the heap now, when it counts, as the newest of
 * all), the first third and the last third (Tukey's three-group resistant
 * line), at least one each. Undefined when they do not make two ends.
 */
export function chooseEnds (post: readonly Capture[], sinceAt: number, nowCounts: boolean): { since: Capture[], now: Capture[], trend: Capture[] } | undefined {
  if (post.length === 0) return undefined
  let nearest = 0
  for (let i = 1; i < post.length; i++) if (Math.abs((post[i] as Capture).at - sinceAt) < Math.abs((post[nearest] as Capture).at - sinceAt)) nearest = i
  const trend = post.slice(nearest)
  const n = trend.length + (nowCounts ? 1 : 0)
  if (n < 2) return undefined
  const k = Math.max(1, Math.floor(n / 3))
  return { since: trend.slice(0, k), now: trend.slice(trend.length - (k - (nowCounts ? 1 : 0))), trend }
}

/**
 * What grew since `sinceAt`, by robust ends and shrinkage by trend (see
 * SINCE), as stacks over `frames`; undefined when the post-GC captures do
 * not make two ends.
 */
export function robustGrowthSince (ring: CaptureRing, sinceAt: number, frames: FrameTable, now?: HeapNow): Growth | undefined {
  const post = ring.captures.filter((c) => c.afterGc)
  const nowCounts = now?.afterGc === true
  const ends = chooseEnds(post, sinceAt, nowCounts)
  if (ends === undefined) return undefined

  // Every capture used, as stacks over the request's frames (keys compare across captures and the heap now).
  const converted = new Map<Capture, StackSet>()
  const stacksOf = (c: Capture): StackSet => {
    let set = converted.get(c)
    if (set === undefined) {
      set = ring.toStacks(c, frames)
      converted.set(c, set)
    }
    return set
  }
  const sinceSets = ends.since.map(stacksOf)
  const nowSets = [...ends.now.map(stacksOf), ...(nowCounts && now !== undefined ? [now.stacks] : [])]
  const nowTimes = [...ends.now.map((c) => c.at), ...(nowCounts && now !== undefined ? [now.at] : [])]
  const sinceTime = median(ends.since.map((c) => c.at))
  const nowTime = median(nowTimes)
  // The resistant line's slope (difference of the ends' medians over their median times), times the span of the
  // captures it rests on: growth from the first capture used to the newest.
  const firstAt = ends.trend[0]?.at ?? sinceTime
  const lastAt = nowTimes[nowTimes.length - 1] ?? nowTime
  const scale = nowTime > sinceTime ? (lastAt - firstAt) / (nowTime - sinceTime) : 1

  // Per site, the bytes of each post-GC capture from the since end's first on (and the heap now when it counts).
  const trendSets = [...ends.trend.map(stacksOf), ...(nowCounts && now !== undefined ? [now.stacks] : [])]
  const siteOfKey = new Map<string, string>()
  const siteKeyOf = (record: StackRecord): string => {
    const stackKey = record.frameIds.join(',')
    let key = siteOfKey.get(stackKey)
    if (key === undefined) {
      const leaf = record.frameIds[0]
      key = leaf === undefined ? '' : siteKey(frames.get(leaf))
      siteOfKey.set(stackKey, key)
    }
    return key
  }
  const series = new Map<string, Float64Array>()
  trendSets.forEach((set, index) => {
    for (const record of set.values()) {
      const key = siteKeyOf(record)
      let ys = series.get(key)
      if (ys === undefined) {
        ys = new Float64Array(trendSets.length)
        series.set(key, ys)
      }
      ys[index] = (ys[index] as number) + (record.values[1] ?? 0)
    }
  })
  const tested = trendSets.length >= SINCE.minTrendCaptures
  const weights = new Map<string, number>()
  let dropped = 0
  let scaled = 0
  for (const [key, ys] of series) {
    const w = tested ? trendWeight(mannKendall([...ys]).z) : 1
    weights.set(key, w)
    if (w === 0) dropped++
    else if (w < 1) scaled++
  }

  // Per stack: median of each end (absent = 0), difference, times its site's weight.
  const stacks = new StackSet()
  const seen = new Set<string>()
  const valuesAt = (sets: readonly StackSet[], key: string, index: number): number[] => sets.map((s) => s.get(key)?.values[index] ?? 0)
  for (const set of [...sinceSets, ...nowSets]) {
    for (const [key, record] of set.entries()) {
      if (seen.has(key)) continue
      seen.add(key)
      const w = weights.get(siteKeyOf(record)) ?? 0
      if (w === 0) continue
      const values = [0, 1].map((i) => Math.round(w * scale * (median(valuesAt(nowSets, key, i)) - median(valuesAt(sinceSets, key, i)))))
      if (values.some((v) => v !== 0)) stacks.add(record.frameIds, values)
    }
  }

  const iso = (t: number): string => new Date(t).toISOString()
  const list = (cs: readonly Capture[]): string => cs.map((c) => iso(c.at)).join(', ')
  const windowMs = lastAt - firstAt
  const nowParts = [
    ...(ends.now.length > 0 ? [`the last ${ends.now.length} (${list(ends.now)})`] : []),
    ...(nowCounts ? [`the heap now (${iso(now?.at ?? 0)}, read after a GC)`] : [])
  ]
  return {
    frames,
    stacks,
    meta: {
      timeNanos: lastAt * 1e6,
      durationNanos: windowMs * 1e6,
      comments: [
        `Heap growth over ${formatDuration(windowMs)}, from ${iso(firstAt)} to ${iso(lastAt)}, by a resistant line through ${trendSets.length} post-GC capture${trendSets.length === 1 ? '' : 's'} (from the one nearest ${iso(sinceAt)} to the newest): per stack, the median of ${nowParts.join(' and ')} less the median of the first ${ends.since.length} (${list(ends.since)}), over their median times (${iso(sinceTime)} to ${iso(nowTime)}), times the span. Captures taken without a major GC are not used: they count garbage not yet collected.`,
        tested
          ? `Each allocating function's difference is weighted by its trend over the ${trendSets.length} post-GC captures from ${iso(ends.trend[0]?.at ?? 0)} on (Mann–Kendall |z|: ${SINCE.zKeep} or more kept whole, ${SINCE.zDrop} or less dropped as noise, linear between): ${dropped} of ${series.size} functions dropped, ${scaled} scaled down. A churning cache's floating garbage comes and goes and is dropped; a leak rises and is kept.`
          : `Only ${trendSets.length} post-GC captures from ${iso(ends.trend[0]?.at ?? 0)} on: too few to test each function's trend (${SINCE.minTrendCaptures} needed), so the medians alone.`,
        'Positive values grew, negative ones shrank (go tool pprof -top shows both).'
      ]
    }
  }
}
