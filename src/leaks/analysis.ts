import type { Frame } from '../pprof/frames.js'
import { type Origin, originOf } from './origin.js'
import { chargedFrame, isOwn } from './own.js'
import type { Capture, CaptureRing } from './ring.js'
import { mannKendall, median, theilSen } from './trend.js'

/** The verdict's words are fixed: tools outside the project read them. */
export type Verdict = 'growing' | 'steady' | 'warming-up'

/** One frame of a suspect's allocation stack. */
export interface ViaFrame {
  readonly function: string
  readonly file: string
  readonly line: number
}

export interface Suspect {
  /** The function that allocated what is kept, and where it starts. */
  readonly function: string
  readonly file: string
  readonly line: number
  /** Whose code allocated it: the app's, a dependency's, Node's own JavaScript, or native code (`(V8 API)`). */
  readonly origin: Origin
  /** The dependency's package name (`@scope/name` when scoped), from its last node_modules segment; null otherwise. */
  readonly package: string | null
  /**
   * Its heaviest allocation stack (by bytes in the newest capture), leaf first, up to and including the first
   * frame of the app's own code (at most VIA_FRAMES frames: the leaf's side, then that frame). A native leaf
   * (`(V8 API)`) is left out: `via` starts with the JavaScript frame the sampler recorded around it, if any.
   * With no app frame on the stack, it runs to the stack's root (bounded the same way).
   */
  readonly via: readonly ViaFrame[]
  /** Whether `via` ends in the app's own code. */
  readonly viaReachesApp: boolean
  /** Growth over the ring's window, by the trend line (Theil–Sen), in bytes. */
  readonly growthBytes: number
  readonly bytesPerHour: number
  /** Bytes it holds in the oldest and the newest capture. */
  readonly firstBytes: number
  readonly lastBytes: number
  /** Mann–Kendall: one-sided p of "it keeps growing", over the whole window and over its second half. */
  readonly p: number
  readonly recentP: number
}

export interface HeapTrend {
  /** Used heap right after a major GC, per capture: its trend line's slope. */
  readonly postGcSlopeBytesPerHour: number
  readonly p: number
  readonly firstBytes: number
  readonly lastBytes: number
}

/** Retained bytes per capture of a few sites: the suspects first, then the largest sites. */
export interface GrowthChart {
  /** Capture times, ms since the epoch. */
  readonly at: readonly number[]
  readonly sites: ReadonlyArray<{ readonly function: string, readonly file: string, readonly line: number, readonly bytes: readonly number[] }>
}

export interface LeakReport {
  readonly verdict: Verdict
  readonly suspects: readonly Suspect[]
  readonly heap: HeapTrend
  /** Captures in the ring. */
  readonly captures: number
  /** Of those, the ones taken right after a major GC: the verdict, the trends and the chart rest on these. */
  readonly postGcCaptures: number
  /**
   * Post-GC captures left out of the trend tests: their used heap stood far above the others' trend line
   * (a large transient, such as a big response being written, was live when the capture was taken).
   */
  readonly setAside: number
  /** Each capture: when, the used heap then, and whether a natural major GC had just run. */
  readonly timeline: ReadonlyArray<{ readonly at: number, readonly heapUsed: number, readonly afterGc: boolean }>
  /** From the oldest post-GC capture to the newest, ms since the epoch. */
  readonly window: { readonly from: number, readonly to: number, readonly seconds: number }
  readonly chart: GrowthChart
}

const CHART_SITES = 5
/** The longest `via` chain: a reader needs the way from the allocation to the app, not the whole stack. */
export const VIA_FRAMES = 12

/** Tuning, in one place (test/leaks.test.ts holds them to their leaks and leak-free twins). */
export const THRESHOLDS = Object.freeze({
  /** Fewer post-GC captures than this: 'warming-up' (Mann–Kendall cannot reach p < 0.001 below 8 points). */
  minCaptures: 8,
  /** Family-wise: the most significant test must pass p < this / number of sites tested. */
  alpha: 0.01,
  /** The second half of the window must still rise at this level: a cache that warmed up and stopped is not a leak. */
  recentAlpha: 0.1,
  /** Growth below this many sampling intervals is the sampler's noise (one sample stands for an interval's bytes). */
  minGrowthSamples: 8,
  minGrowthBytes: 1024 * 1024,
  /**
   * Hysteresis: a site the previous verdict named stays a suspect while its whole-window trend holds at this
   * level, uncorrected for the number of sites (it is one hypothesis chosen by earlier evidence, not a search),
   * its second half still rises at a quarter of the whole window's rate or more (Theil–Sen slopes: robust to
   * the noise that made its Mann–Kendall test dip), and it still grew by more than the noise floor. A flat
   * second half lets it go: a cache that warmed up and stopped rises over the whole window long after it
   * stopped (a CI run kept a warm-up twin 'growing' with "its second half does not fall" as the bar).
   */
  keepAlpha: 0.05,
  keepRecentAlpha: 0.2,
  /**
   * A post-GC capture whose used heap stands this many robust deviations (1.4826 × MAD of the residuals)
   * above the heap's Theil–Sen line, and at least outlierMinBytes above it, is left out of the trend tests.
   */
  outlierDeviations: 3.5,
  outlierMinBytes: 4 * 1024 * 1024,
  /** At most this share of the post-GC captures is left out: a heap whose every other capture jumps is not an outlier. */
  outlierMaxShare: 0.25
})

/** What the previous verdict said, for hysteresis: the sites it named (`siteName` of each suspect). */
export interface PreviousVerdict {
  readonly verdict: Verdict
  readonly suspects: ReadonlyArray<{ readonly function: string, readonly file: string, readonly line: number }>
}

/** A suspect's (or chart site's) identity across reports. */
export function siteName (site: { readonly function: string, readonly file: string, readonly line: number }): string {
  return `${site.function}\0${site.file}\0${site.line}`
}

/**
 * Post-GC captures whose used heap is a high outlier against the others: the residuals from the heap's
 * Theil–Sen line, more than outlierDeviations robust deviations (and outlierMinBytes) above their median.
 * A capture taken while a large transient is live shows it in its used heap; the rule is one-sided (a low
 * heap is a cleaner capture, not a suspicious one) and drops at most outlierMaxShare of the captures,
 * the highest first. Returns the indices to keep.
 */
export function withoutHeapOutliers (ts: readonly number[], heap: readonly number[]): number[] {
  const all = heap.map((_, i) => i)
  if (heap.length < THRESHOLDS.minCaptures) return all
  const slope = theilSen(ts, heap)
  const residuals = heap.map((y, i) => y - slope * ((ts[i] as number) - (ts[0] as number)))
  const center = median(residuals)
  const spread = 1.4826 * median(residuals.map((r) => Math.abs(r - center)))
  const bar = center + Math.max(THRESHOLDS.outlierDeviations * spread, THRESHOLDS.outlierMinBytes)
  const high = all.filter((i) => (residuals[i] as number) > bar)
    .sort((a, b) => (residuals[b] as number) - (residuals[a] as number))
    .slice(0, Math.floor(heap.length * THRESHOLDS.outlierMaxShare))
  return all.filter((i) => !high.includes(i))
}

const HOUR_MS = 3_600_000

interface Site { readonly frame: Frame, readonly bytes: Float64Array }

/** A site: the frame that allocated (the leaf of the stack). */
function siteKey (frame: Frame): string {
  return `${frame.name}\0${frame.file}\0${frame.functionLine || frame.line}`
}

function siteOf (frame: Frame): { function: string, file: string, line: number } {
  return { function: frame.name === '' ? '(anonymous)' : frame.name, file: frame.file, line: frame.functionLine || frame.line }
}

/**
 * The way from an allocation to the app's code: the stack's frames from the
 * leaf (or, for a native leaf, the frame above it) to the first app frame.
 */
export function viaOf (stack: readonly Frame[]): { via: ViaFrame[], viaReachesApp: boolean } {
  const leaf = stack[0]
  const from = leaf !== undefined && originOf(leaf.file).origin === 'native' ? 1 : 0
  const frames = stack.slice(from)
  const app = frames.findIndex((f) => originOf(f.file).origin === 'app')
  const chain = app < 0
    ? frames.slice(0, VIA_FRAMES)
    : app < VIA_FRAMES ? frames.slice(0, app + 1) : [...frames.slice(0, VIA_FRAMES - 1), frames[app] as Frame]
  return { via: chain.map(siteOf), viaReachesApp: app >= 0 }
}

interface Trend { slopePerMs: number, p: number, recentP: number, recentSlope: number }

function trendOf (ts: readonly number[], ys: readonly number[]): Trend {
  const half = Math.floor(ys.length / 2)
  return {
    slopePerMs: theilSen(ts, ys),
    p: mannKendall(ys).pIncreasing,
    recentP: mannKendall(ys.slice(half)).pIncreasing,
    recentSlope: theilSen(ts.slice(half), ys.slice(half))
  }
}

/**
 * Per site, its heaviest stack across the window: the most bytes in the newest
 * capture, then the most over the window (a site's stacks all hold its leaf).
 */
function heaviestStacks (captures: readonly Capture[], siteOfStack: ReadonlyMap<number, Site>, wanted: ReadonlySet<Site>): Map<Site, number> {
  const weight = new Map<number, { newest: number, total: number }>()
  captures.forEach((capture, index) => {
    const newest = index === captures.length - 1
    for (let i = 0; i < capture.stackIds.length; i++) {
      const stackId = capture.stackIds[i] as number
      if (!wanted.has(siteOfStack.get(stackId) as Site)) continue
      const bytes = capture.values[2 * i + 1] as number
      const w = weight.get(stackId) ?? { newest: 0, total: 0 }
      w.total += bytes
      if (newest) w.newest += bytes
      weight.set(stackId, w)
    }
  })
  const best = new Map<Site, { stackId: number, newest: number, total: number }>()
  for (const [stackId, w] of weight) {
    const site = siteOfStack.get(stackId) as Site
    const current = best.get(site)
    if (current === undefined || w.newest > current.newest || (w.newest === current.newest && w.total > current.total)) best.set(site, { stackId, ...w })
  }
  return new Map([...best].map(([site, b]) => [site, b.stackId]))
}

/**
 * The ring's verdict. A site is a suspect when its retained bytes rise
 * monotonically over the whole window (Mann–Kendall, corrected for the number
 * of sites tested), still rise over the second half, and grew by more than the
 * sampler's noise. Churn that comes and goes has no monotone trend; a cache
 * that warmed up and plateaued fails the second half; steady load fails both.
 */
export function analyze (ring: CaptureRing, intervalBytes: number, previous?: PreviousVerdict): LeakReport {
  const timeline = ring.captures.map((c) => ({ at: c.at, heapUsed: c.heapUsed, afterGc: c.afterGc }))
  // Only captures taken right after a major GC show what is live: before one, the sampler still counts garbage
  // the old generation has not collected yet, and a cache that churns would look like growth.
  const postGc = ring.captures.filter((c) => c.afterGc)
  // Nor those taken while a large transient was live (its used heap far above the others' line).
  const kept = withoutHeapOutliers(postGc.map((c) => c.at), postGc.map((c) => c.heapUsed))
  const captures = kept.map((i) => postGc[i] as Capture)
  const setAside = postGc.length - captures.length
  const ts = captures.map((c) => c.at)
  const from = ts[0] ?? 0
  const to = ts[ts.length - 1] ?? 0
  const window = { from, to, seconds: Math.round((to - from) / 1000) }
  const heapSeries = captures.map((c) => c.heapUsed)
  const heapTrend = trendOf(ts, heapSeries)
  const heap: HeapTrend = {
    postGcSlopeBytesPerHour: Math.round(heapTrend.slopePerMs * HOUR_MS),
    p: heapTrend.p,
    firstBytes: heapSeries[0] ?? 0,
    lastBytes: heapSeries[heapSeries.length - 1] ?? 0
  }
  // Bytes per site per capture.
  const sites = new Map<string, Site>()
  // Each stack's site, once per analysis (a stack recurs in most captures).
  const siteOfStack = new Map<number, Site>()
  captures.forEach((capture, index) => {
    for (let i = 0; i < capture.stackIds.length; i++) {
      const stackId = capture.stackIds[i] as number
      let site = siteOfStack.get(stackId)
      if (site === undefined) {
        // A builtin leaf (no file) under the plugin's own code is charged to that code: an own site, never a suspect.
        const leaf = chargedFrame(ring.stackFrames(stackId))
        const key = siteKey(leaf)
        site = sites.get(key)
        if (site === undefined) {
          site = { frame: leaf, bytes: new Float64Array(captures.length) }
          sites.set(key, site)
        }
        siteOfStack.set(stackId, site)
      }
      site.bytes[index] = (site.bytes[index] as number) + (capture.values[2 * i + 1] as number)
    }
  })

  const chartOf = (first: readonly Site[]): GrowthChart => {
    // The plugin's own sites (its ring, the census's counts) are not the app's memory: never charted, as never suspects.
    const rest = [...sites.values()].filter((site) => !first.includes(site) && !isOwn(site.frame.file))
      .sort((x, y) => (y.bytes[y.bytes.length - 1] as number) - (x.bytes[x.bytes.length - 1] as number))
    return { at: ts, sites: [...first, ...rest].slice(0, CHART_SITES).map((site) => ({ ...siteOf(site.frame), bytes: [...site.bytes] })) }
  }
  // Counted before the outliers are set aside: a verdict already given never falls back to 'warming-up' because
  // the next transient landed on a capture (8 post-GC captures keep at least 6, as outlierMaxShare allows).
  if (postGc.length < THRESHOLDS.minCaptures) return { verdict: 'warming-up', suspects: [], heap, captures: timeline.length, postGcCaptures: postGc.length, setAside, timeline, window, chart: chartOf([]) }

  const minGrowth = Math.max(THRESHOLDS.minGrowthBytes, THRESHOLDS.minGrowthSamples * intervalBytes)
  const spanMs = to - from
  const candidates = [...sites.values()].filter((site) => !isOwn(site.frame.file)).map((site) => ({ site, trend: trendOf(ts, [...site.bytes]) }))
    .filter(({ trend }) => trend.slopePerMs * spanMs >= minGrowth)
  const alpha = THRESHOLDS.alpha / Math.max(1, candidates.length)
  // Sites the previous verdict named, when it said growing: they need better evidence to be let go than to be named.
  const named = new Set(previous?.verdict === 'growing' ? previous.suspects.map(siteName) : [])
  const rising = candidates
    .filter(({ site, trend }) => (trend.p < alpha && trend.recentP < THRESHOLDS.recentAlpha && trend.recentSlope > 0) ||
      (named.has(siteName(siteOf(site.frame))) && trend.p < THRESHOLDS.keepAlpha && trend.recentP < THRESHOLDS.keepRecentAlpha && trend.recentSlope > 0))
    .sort((x, y) => x.trend.p - y.trend.p || y.trend.slopePerMs - x.trend.slopePerMs)
  const heaviest = heaviestStacks(captures, siteOfStack, new Set(rising.map((r) => r.site)))
  const suspects: Suspect[] = rising.map(({ site, trend }) => ({
    ...siteOf(site.frame),
    ...originOf(site.frame.file),
    ...viaOf(ring.stackFrames(heaviest.get(site) as number)),
    growthBytes: Math.round(trend.slopePerMs * spanMs),
    bytesPerHour: Math.round(trend.slopePerMs * HOUR_MS),
    firstBytes: site.bytes[0] as number,
    lastBytes: site.bytes[site.bytes.length - 1] as number,
    p: trend.p,
    recentP: trend.recentP
  }))

  // The verdict rests on sites alone. The post-GC heap of a young process rises for reasons no sampled
  // allocation shows (compiled code, feedback vectors, interned strings), and "growing" with nobody to blame
  // sends the reader nowhere; its trend is reported beside the verdict for whoever wants it.
  return { verdict: suspects.length > 0 ? 'growing' : 'steady', suspects, heap, captures: timeline.length, postGcCaptures: postGc.length, setAside, timeline, window, chart: chartOf(rising.map((r) => r.site)) }
}
