import type { Frame, FrameTable } from '../pprof/frames.js'
import { StackSet } from '../pprof/frames.js'
import { formatDuration } from '../duration.js'
import { ownStack } from './own.js'
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

  // Columns: the captures used, oldest first, then the heap now when it counts. The ring's captures are read in
  // place (stack ids and values), never copied as stack sets: a day's ring at the default interval is 288 captures.
  const fresh = nowCounts && now !== undefined ? now : undefined
  const columns = ends.trend.length + (fresh === undefined ? 0 : 1)
  const sinceColumns = ends.since.length
  const nowColumns = ends.now.length + (fresh === undefined ? 0 : 1)
  const nowTimes = [...ends.now.map((c) => c.at), ...(fresh === undefined ? [] : [fresh.at])]
  const sinceTime = median(ends.since.map((c) => c.at))
  const nowTime = median(nowTimes)
  // The resistant line's slope (difference of the ends' medians over their median times), times the span of the
  // captures it rests on: growth from the first capture used to the newest.
  const firstAt = ends.trend[0]?.at ?? sinceTime
  const lastAt = nowTimes[nowTimes.length - 1] ?? nowTime
  const scale = nowTime > sinceTime ? (lastAt - firstAt) / (nowTime - sinceTime) : 1

  // A ring stack, once: its site and its frames in the request's table (where the heap now's stacks are).
  const ringStacks = new Map<number, { site: string, frameIds: number[], key: string, own: boolean }>()
  const ringStack = (id: number): { site: string, frameIds: number[], key: string, own: boolean } => {
    let known = ringStacks.get(id)
    if (known === undefined) {
      const stackFrames = ring.stackFrames(id)
      const frameIds = stackFrames.map((f) => frames.id(f))
      known = { site: stackFrames[0] === undefined ? '' : siteKey(stackFrames[0]), frameIds, key: frameIds.join(','), own: ownStack(stackFrames) }
      ringStacks.set(id, known)
    }
    return known
  }
  const series = new Map<string, Float64Array>()
  const bySite = (site: string, column: number, bytes: number): void => {
    let ys = series.get(site)
    if (ys === undefined) {
      ys = new Float64Array(columns)
      series.set(site, ys)
    }
    ys[column] = (ys[column] as number) + bytes
  }
  // Per stack in an end: [objects, bytes] per column of that end (absent = 0).
  const endValues = new Map<string, { frameIds: readonly number[], site: string, since: Float64Array, now: Float64Array }>()
  const atEnd = (key: string, frameIds: readonly number[], site: string, column: number, objects: number, bytes: number): void => {
    const inSince = column < sinceColumns
    const nowColumn = column - (columns - nowColumns)
    if (!inSince && nowColumn < 0) return
    let entry = endValues.get(key)
    if (entry === undefined) {
      entry = { frameIds, site, since: new Float64Array(2 * sinceColumns), now: new Float64Array(2 * nowColumns) }
      endValues.set(key, entry)
    }
    const [values, at] = inSince ? [entry.since, column] : [entry.now, nowColumn]
    values[2 * at] = (values[2 * at] as number) + objects
    values[2 * at + 1] = (values[2 * at + 1] as number) + bytes
  }
  ends.trend.forEach((capture, column) => {
    for (let i = 0; i < capture.stackIds.length; i++) {
      const stack = ringStack(capture.stackIds[i] as number)
      // The plugin's own allocations (its ring and the census's history filling up) are not the app's growth.
      if (stack.own) continue
      const objects = capture.values[2 * i] as number
      const bytes = capture.values[2 * i + 1] as number
      bySite(stack.site, column, bytes)
      atEnd(stack.key, stack.frameIds, stack.site, column, objects, bytes)
    }
  })
  if (fresh !== undefined) {
    for (const [key, record] of fresh.stacks.entries()) {
      const leaf = record.frameIds[0]
      if (ownStack(record.frameIds.map((id) => frames.get(id)))) continue
      const site = leaf === undefined ? '' : siteKey(frames.get(leaf))
      bySite(site, columns - 1, record.values[1] ?? 0)
      atEnd(key, record.frameIds, site, columns - 1, record.values[0] ?? 0, record.values[1] ?? 0)
    }
  }

  const tested = columns >= SINCE.minTrendCaptures
  const weights = new Map<string, number>()
  let dropped = 0
  let scaled = 0
  for (const [site, ys] of series) {
    const w = tested ? trendWeight(mannKendall([...ys]).z) : 1
    weights.set(site, w)
    if (w === 0) dropped++
    else if (w < 1) scaled++
  }

  // Per stack: median of each end, difference, times the span over the ends' times and its site's weight.
  const endMedian = (values: Float64Array, index: number): number => median(Array.from(values).filter((_, i) => i % 2 === index))
  const stacks = new StackSet()
  for (const { frameIds, site, since, now: latest } of endValues.values()) {
    const w = weights.get(site) ?? 0
    if (w === 0) continue
    const values = [0, 1].map((i) => Math.round(w * scale * (endMedian(latest, i) - endMedian(since, i))))
    if (values.some((v) => v !== 0)) stacks.add(frameIds, values)
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
        `Heap growth over ${formatDuration(windowMs)}, from ${iso(firstAt)} to ${iso(lastAt)}, by a resistant line through ${columns} post-GC capture${columns === 1 ? '' : 's'} (from the one nearest ${iso(sinceAt)} to the newest): per stack, the median of ${nowParts.join(' and ')} less the median of the first ${ends.since.length} (${list(ends.since)}), over their median times (${iso(sinceTime)} to ${iso(nowTime)}), times the span. Captures taken without a major GC are not used: they count garbage not yet collected.`,
        tested
          ? `Each allocating function's difference is weighted by its trend over the ${columns} post-GC captures from ${iso(ends.trend[0]?.at ?? 0)} on (Mann–Kendall |z|: ${SINCE.zKeep} or more kept whole, ${SINCE.zDrop} or less dropped as noise, linear between): ${dropped} of ${series.size} functions dropped, ${scaled} scaled down. A churning cache's floating garbage comes and goes and is dropped; a leak rises and is kept.`
          : `Only ${columns} post-GC captures from ${iso(ends.trend[0]?.at ?? 0)} on: too few to test each function's trend (${SINCE.minTrendCaptures} needed), so the medians alone.`,
        'The plugin\'s own allocations (its captures and the census\'s counts, bounded, filling up) are left out, as from the leak watch\'s verdict.',
        'Positive values grew, negative ones shrank (go tool pprof -top shows both).'
      ]
    }
  }
}
