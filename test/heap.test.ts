import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { heavyHolder } from '../src/profiler/process-guard.js'
import { build } from './support/app.js'
import { decodeProfile, int64, top } from './support/decode.js'
import { until, untilAsync } from './support/wait.js'

let app: FastifyInstance
beforeAll(async () => { app = await build() })
afterAll(async () => { await app.close() })

const forcedGcs = async (): Promise<number> => ((await app.inject('/debug/stats')).json() as { memstats: { NumForcedGC: number } }).memstats.NumForcedGC

interface Row { a: number, b: number, c: number, d: string }
let retained: Row[][] = []
let grown: Row[][] = []

// Plain loops in functions too big to inline: V8 charges samples to the
// outermost optimized frame (pitfalls.md), and we assert on these names.
function retainKnownHeap (rows: number): Row[] {
  const out: Row[] = []
  for (let i = 0; i < rows; i++) {
    out.push({ a: i, b: i * 2, c: i * 3, d: 'row' })
    if (i % 100_000 === 0) out.length += 0
  }
  return out
}

function growDuringDelta (rows: number): Row[] {
  const out: Row[] = []
  for (let i = 0; i < rows; i++) {
    out.push({ a: -i, b: i + 7, c: i ^ 5, d: 'grown' })
    if (i % 100_000 === 0) out.length += 0
  }
  return out
}

describe('GET /debug/heap', () => {
  it('shows memory retained before the request, by the function that allocated it, at about its size', async () => {
    // Warm the gc helper so its own context is not part of the measurement.
    await app.inject('/debug/heap?gc=1')
    const before = (await app.inject('/debug/heap?gc=1')).rawPayload
    const baseline = decodeProfile(before).cum('inuse_space').get('retainKnownHeap') ?? 0
    const heapBefore = process.memoryUsage().heapUsed
    retained.push(retainKnownHeap(600_000))
    const res = await app.inject('/debug/heap?gc=1')
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore
    expect(res.statusCode).toBe(200)
    const p = decodeProfile(res.rawPayload)
    const flat = top(p.flat('inuse_space'))
    expect(flat[0]?.[0]).toBe('retainKnownHeap')
    const measured = (flat[0]?.[1] ?? 0) - baseline
    // Sampling error at 512 KiB over tens of MB is a few percent; allow wide margins.
    expect(heapGrowth).toBeGreaterThan(20e6)
    expect(measured).toBeGreaterThan(heapGrowth * 0.5)
    expect(measured).toBeLessThan(heapGrowth * 1.5)
    expect(Number(p.profile.period)).toBe(524288)
    expect(Number(p.profile.timeNanos)).toBeGreaterThan(Date.now() * 1e6 - 60e9)
    // V8 frames only: npm pprof's synthetic "(external)" node is left out.
    expect(p.flat('inuse_space').has('(external)')).toBe(false)
  })

  it('gives every frame the same address in every profile (pprof -base and Alloy match on it)', async () => {
    // Enough live samples in both profiles whatever the engine (the inspector's collects garbage first).
    retained.push(retainKnownHeap(300_000))
    const a = decodeProfile((await app.inject('/debug/heap')).rawPayload)
    const b = decodeProfile((await app.inject('/debug/heap')).rawPayload)
    retained = []
    const key = (p: typeof a): Map<string, number> => {
      const fn = new Map(p.profile.function.map((f) => [Number(f.id), `${p.strings[Number(f.name)]}@${p.strings[Number(f.filename)]}`]))
      return new Map(p.profile.location.map((l) => [`${fn.get(Number(l.line[0]?.functionId))}:${Number(l.line[0]?.line)}:${Number(l.line[0]?.column)}`, Number(l.address)]))
    }
    const ka = key(a)
    const kb = key(b)
    let shared = 0
    for (const [k, address] of ka) {
      if (!kb.has(k)) continue
      shared++
      expect(kb.get(k)).toBe(address)
    }
    expect(shared).toBeGreaterThan(5)
  })

  it('?seconds=N returns what grew and what shrank during the window, as Go\'s delta', async () => {
    retained.push(retainKnownHeap(300_000))
    await app.inject('/debug/heap?gc=1')
    const forcedBefore = await forcedGcs()
    const pending = app.inject('/debug/heap?seconds=2&gc=1')
    // Change the heap inside the window, once its first half is read (right after the GC gc=1 forces):
    // grow one function, release another.
    await until(() => heavyHolder() === 'heap delta')
    await untilAsync(async () => await forcedGcs() > forcedBefore)
    grown.push(growDuringDelta(400_000))
    retained = []
    const res = await pending
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-disposition']).toBe('attachment; filename="heap-delta"')
    const p = decodeProfile(res.rawPayload)
    const flat = p.flat('inuse_space')
    const ranked = top(flat)
    expect(ranked[0]?.[0]).toBe('growDuringDelta')
    expect(flat.get('retainKnownHeap') ?? 0).toBeLessThan(-10e6)
    // All-zero samples are dropped.
    for (const s of p.profile.sample) expect(s.value.some((v) => int64(v) !== 0)).toBe(true)
    const duration = Number(p.profile.durationNanos)
    expect(duration).toBeGreaterThanOrEqual(2e9)
    expect(duration).toBeLessThan(20e9)
    expect(heavyHolder()).toBeUndefined()
    grown = []
  })

  it('a heap delta holds the profiler: a CPU profile meanwhile gets 409 with Retry-After', async () => {
    const pending = app.inject('/debug/heap?seconds=2')
    await until(() => heavyHolder() === 'heap delta')
    const busy = await app.inject('/debug/profile?seconds=1')
    expect(busy.statusCode).toBe(409)
    expect(Number(busy.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(busy.payload).toBe('Could not enable profiling: heap delta already in use\n')
    expect((await pending).statusCode).toBe(200)
  })

  it('keeps answering plain heap profiles while a delta waits', async () => {
    const pending = app.inject('/debug/heap?seconds=1')
    await until(() => heavyHolder() === 'heap delta')
    expect((await app.inject('/debug/heap')).statusCode).toBe(200)
    expect(heavyHolder()).toBe('heap delta')
    expect((await pending).statusCode).toBe(200)
  })

  it('the gc option collects garbage without --expose-gc', async () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined()
    const holder = { rows: retainKnownHeap(300_000) }
    const withGarbage = process.memoryUsage().heapUsed
    expect(holder.rows).toHaveLength(300_000)
    holder.rows = []
    await app.inject('/debug/heap?gc=1')
    expect(process.memoryUsage().heapUsed).toBeLessThan(withGarbage - 10e6)
    // Fetched once into a private context: the app's globals stay as they were.
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined()
  })
})
