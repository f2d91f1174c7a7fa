import { describe, expect, it } from 'vitest'
import { type Frame, FrameTable, StackSet } from '../src/pprof/frames.js'
import { analyze } from '../src/leaks/analysis.js'
import { CaptureRing } from '../src/leaks/ring.js'

const frame = (name: string, line = 1): Frame => ({ name, file: '/app/x.js', line, column: 1, functionLine: line })

/** A capture whose stacks hold the given bytes per leaf function (one object of that size each). */
function capture (ring: CaptureRing, at: number, bytesBySite: Record<string, number>, afterGc = true, unsampled = 0): void {
  const frames = new FrameTable()
  const stacks = new StackSet()
  const root = frames.id(frame('handler', 100))
  for (const [name, bytes] of Object.entries(bytesBySite)) stacks.add([frames.id(frame(name, name.length)), root], [1, bytes])
  ring.add({ at, heapUsed: unsampled + Object.values(bytesBySite).reduce((a, b) => a + b, 0), afterGc, frames, stacks })
}

describe('the capture ring', () => {
  it('keeps the newest captures, interns stacks once, and drops a stack no capture holds', () => {
    const ring = new CaptureRing(3)
    for (let i = 0; i < 5; i++) capture(ring, i * 1000, { steady: 1000, [`once${i}`]: 10 })
    expect(ring.captures.map((c) => c.at)).toEqual([2000, 3000, 4000])
    // steady + the three once-stacks still held.
    expect(ring.footprint.stacks).toBe(4)
    expect(ring.footprint.captures).toBe(3)
    expect(ring.footprint.bytes).toBeGreaterThan(0)
  })

  it('gives back a capture as stacks over a FrameTable of the caller\'s, and finds the capture nearest a time', () => {
    const ring = new CaptureRing(10)
    capture(ring, 1000, { a: 5 })
    capture(ring, 5000, { a: 7, b: 3 })
    expect(ring.nearest(0)?.at).toBe(1000)
    expect(ring.nearest(3100)?.at).toBe(5000)
    const frames = new FrameTable()
    const stacks = ring.toStacks(ring.captures[1] as never, frames)
    const byLeaf = new Map([...stacks.values()].map((r) => [frames.get(r.frameIds[0] as number).name, r.values[1]]))
    expect(byLeaf).toEqual(new Map([['a', 7], ['b', 3]]))
  })

  it('rebuilds its frame table when most frames are no longer used (code that ran once)', () => {
    const ring = new CaptureRing(2)
    for (let i = 0; i < 3000; i++) capture(ring, i, { [`fn${i}`]: 1 })
    expect(ring.footprint.frames).toBeLessThan(4100)
    expect(ring.footprint.stacks).toBe(2)
    const frames = new FrameTable()
    const names = [...ring.toStacks(ring.captures[1] as never, frames).values()].map((r) => frames.get(r.frameIds[0] as number).name)
    expect(names).toEqual(['fn2999'])
  })
})

describe('the verdict over a ring', () => {
  const MB = 1024 * 1024
  it('names a site that grows steadily, not one that churns or one that warmed up and stopped', () => {
    const ring = new CaptureRing(30)
    for (let i = 0; i < 24; i++) {
      capture(ring, i * 60_000, {
        leak: 10 * MB + i * MB + (i % 3) * 100_000,
        churn: 20 * MB + ((i * 7919) % 11) * MB,
        warm: Math.min(i, 8) * MB
      })
    }
    const report = analyze(ring, 512 * 1024)
    expect(report.verdict).toBe('growing')
    expect(report.suspects.map((s) => s.function)).toEqual(['leak'])
    expect(report.suspects[0]?.bytesPerHour).toBeGreaterThan(50 * MB)
    expect(report.suspects[0]?.bytesPerHour).toBeLessThan(70 * MB)
  })

  it('is steady for churn and plateaus alone, and warming-up with too few post-GC captures', () => {
    const ring = new CaptureRing(30)
    for (let i = 0; i < 24; i++) capture(ring, i * 60_000, { churn: 20 * MB + ((i * 7919) % 11) * MB, warm: Math.min(i, 8) * MB })
    expect(analyze(ring, 512 * 1024).verdict).toBe('steady')
    const young = new CaptureRing(30)
    for (let i = 0; i < 20; i++) capture(young, i * 60_000, { leak: i * 10 * MB }, i % 3 === 0)
    const report = analyze(young, 512 * 1024)
    expect(report.verdict).toBe('warming-up')
    expect([report.captures, report.postGcCaptures]).toEqual([20, 7])
  })

  it('reports a heap that rises where no sampled site does, but does not call it growing (nobody to name)', () => {
    const ring = new CaptureRing(30)
    // Compiled code and feedback of a young process: heap the sampler never sees.
    for (let i = 0; i < 24; i++) capture(ring, i * 60_000, { churn: 20 * MB + ((i * 7919) % 11) * MB }, true, i * 2 * MB)
    const report = analyze(ring, 512 * 1024)
    expect(report.verdict).toBe('steady')
    expect(report.suspects).toEqual([])
    expect(report.heap.p).toBeLessThan(0.001)
    expect(report.heap.postGcSlopeBytesPerHour).toBeGreaterThan(100 * MB)
  })
})
