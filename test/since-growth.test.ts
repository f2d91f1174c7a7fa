// The arithmetic of /heap?since= on known series (src/leaks/growth.ts): which captures make each end, per-stack
// medians, the weight of a site by its trend, and the comments that say how it was computed.
import { describe, expect, it } from 'vitest'
import { chooseEnds, robustGrowthSince, SINCE, trendWeight } from '../src/leaks/growth.js'
import { type Frame, FrameTable, StackSet } from '../src/pprof/frames.js'
import { CaptureRing } from '../src/leaks/ring.js'

const frame = (name: string, line = 1): Frame => ({ name, file: '/app/x.js', line, column: 1, functionLine: line })

function capture (ring: CaptureRing, at: number, bytesBySite: Record<string, number>, afterGc = true): void {
  const frames = new FrameTable()
  const stacks = new StackSet()
  const root = frames.id(frame('handler', 100))
  for (const [name, bytes] of Object.entries(bytesBySite)) if (bytes !== 0) stacks.add([frames.id(frame(name, name.length)), root], [1, bytes])
  ring.add({ at, heapUsed: 0, afterGc, frames, stacks })
}

const byLeaf = (frames: FrameTable, stacks: StackSet): Map<string, number> =>
  new Map([...stacks.values()].map((r) => [frames.get(r.frameIds[0] as number).name, r.values[1] as number]))

const MB = 1024 * 1024

describe('what grew since, robust to churn', () => {
  it('puts a slow leak first beside churn whose floating garbage a two-point difference takes for growth', () => {
    const ring = new CaptureRing(100)
    // Twelve post-GC captures 10 s apart: the leak gains 0.2 MB each (2.2 MB in all); the cache holds 6 MB and
    // some captures carry up to 4 MB of its floating garbage; some captures were taken without a major GC.
    const floating = [4, 0, 1, 0, 0.5, 0, 3, 0, 0, 1, 0, 0.5]
    for (let i = 0; i < 12; i++) {
      capture(ring, 10_000 * i, { leak: 0.2 * MB * i, churn: (6 + (floating[i] as number)) * MB })
      capture(ring, 10_000 * i + 5000, { leak: 0.2 * MB * i, churn: 20 * MB }, false)
    }
    const frames = new FrameTable()
    const growth = robustGrowthSince(ring, 0, frames)
    expect(growth).toBeDefined()
    const sites = byLeaf(frames, growth?.stacks as StackSet)
    // Ends: the first third (0 to 30 s, median 0.3 MB at 15 s) and the last (80 to 110 s, 1.9 MB at 95 s); the
    // slope times the 110 s span is the leak's growth, 2.2 MB.
    expect(sites.get('leak')).toBeCloseTo(0.2 * MB * 11, -3)
    expect(sites.get('churn') ?? 0).toBe(0)
    expect(Number(growth?.meta.durationNanos) / 1e9).toBe(110)
    const comments = growth?.meta.comments ?? []
    expect(comments[0]).toMatch(/^Heap growth over 1m50s, from .* by a resistant line through 12 post-GC captures .* per stack, the median of the last 4 \(.*\) less the median of the first 4 /)
    expect(comments[1]).toMatch(/weighted by its trend over the 12 post-GC captures .*Mann–Kendall/)
  })

  it('keeps a steady shrink, and medians alone below eight captures', () => {
    const ring = new CaptureRing(100)
    for (let i = 0; i < 8; i++) capture(ring, 1000 * i, { freed: (8 - i) * MB, flat: MB })
    const frames = new FrameTable()
    const sites = byLeaf(frames, robustGrowthSince(ring, 0, frames)?.stacks as StackSet)
    expect(sites.get('freed')).toBe(-7 * MB)
    expect(sites.has('flat')).toBe(false)

    const few = new CaptureRing(100)
    for (let i = 0; i < 4; i++) capture(few, 1000 * i, { a: i * MB })
    const f2 = new FrameTable()
    const g = robustGrowthSince(few, 0, f2)
    expect(byLeaf(f2, g?.stacks as StackSet).get('a')).toBe(3 * MB)
    expect(g?.meta.comments?.[1]).toMatch(/too few to test each function's trend/)
  })

  it('chooses disjoint ends, and none when the captures do not make two', () => {
    const ring = new CaptureRing(100)
    for (let i = 0; i < 10; i++) capture(ring, 1000 * i, { a: 1 })
    const post = ring.captures
    const ends = chooseEnds(post, 4000, false)
    expect(ends?.since.map((c) => c.at)).toEqual([4000, 5000])
    expect(ends?.now.map((c) => c.at)).toEqual([8000, 9000])
    expect(ends?.trend.map((c) => c.at)).toEqual([4000, 5000, 6000, 7000, 8000, 9000])
    // Nearest the newest: no room for two ends unless the heap now, read after a GC, is one.
    expect(chooseEnds(post, 9000, false)).toBeUndefined()
    expect(chooseEnds(post, 9000, true)?.now).toEqual([])
    expect(chooseEnds(post, 8000, false)?.now.map((c) => c.at)).toEqual([9000])
    expect(chooseEnds([], 0, true)).toBeUndefined()
    expect(SINCE.minTrendCaptures).toBe(8)
  })

  it('weighs a site by its trend: none up to |z| 1.96, whole from 3.09, linear between', () => {
    expect(trendWeight(0.5)).toBe(0)
    expect(trendWeight(-1.96)).toBe(0)
    expect(trendWeight(2.525)).toBeCloseTo(0.5, 5)
    expect(trendWeight(3.09)).toBe(1)
    expect(trendWeight(-3.5)).toBe(1)
  })

  it('counts the heap now at the newest end when it was read after a GC', () => {
    const ring = new CaptureRing(100)
    for (let i = 0; i < 6; i++) capture(ring, 1000 * i, { a: i * MB })
    const frames = new FrameTable()
    const now = new StackSet()
    now.add([frames.id(frame('a', 1)), frames.id(frame('handler', 100))], [1, 6 * MB])
    const g = robustGrowthSince(ring, 0, frames, { at: 6000, stacks: now, afterGc: true })
    // Seven in all: ends of two, 0 and 1 s (0.5 MB at 0.5 s), 5 s and now (5.5 MB at 5.5 s); times the 6 s span.
    expect(byLeaf(frames, g?.stacks as StackSet).get('a')).toBe(6 * MB)
    expect(Number(g?.meta.durationNanos) / 1e9).toBe(6)
    expect(g?.meta.comments?.[0]).toContain('and the heap now (')
  })
})
