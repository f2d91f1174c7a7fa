import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { heapSamplerPaused, heavyHolder } from '../src/profiler/process-guard.js'
import { build } from './support/app.js'
import { decodeProfile, top } from './support/decode.js'
import { goPprof, parseTop, requireGo } from './support/go-pprof.js'
import { until } from './support/wait.js'

let app: FastifyInstance
beforeAll(async () => { app = await build() })
afterAll(async () => { await app.close() })

interface Row { a: number, b: number, c: number }
let sink = 0

// Allocates and drops ROWS objects per call: garbage by the next tick. A
// plain loop, and the timer callback itself: called from Node's timer list,
// a call site that sees every timer of the process, V8 cannot inline it into
// a caller and charge its allocations there (pitfalls.md).
const ROWS = 50_000
interface Churn { running: boolean, calls: number }
function churnAllocationsForTest (state: Churn): void {
  if (!state.running) return
  let rows: Row[] = []
  for (let i = 0; i < ROWS; i++) {
    rows.push({ a: i, b: i * 2, c: i * 3 })
    if (rows.length > 1000) rows = []
  }
  sink += rows.length
  state.calls++
  setTimeout(churnAllocationsForTest, 5, state)
}

function churnFor (): { stop: () => Promise<number> } {
  const state: Churn = { running: true, calls: 0 }
  churnAllocationsForTest(state)
  return {
    async stop () {
      state.running = false
      await new Promise((resolve) => setTimeout(resolve, 10))
      return state.calls
    }
  }
}

describe('GET /debug/pprof/allocs?seconds=N', () => {
  it('samples every allocation of the window: a function that allocates and drops tops alloc_space and is absent from inuse_space', async () => {
    const churn = churnFor()
    const pending = app.inject('/debug/pprof/allocs?seconds=2')
    // V8's one sampler belongs to the window now: the in-use view waits.
    await until(() => heapSamplerPaused())
    expect(heavyHolder()).toBe('allocs profiling')
    expect(heapSamplerPaused()).toBe(true)
    const busy = await app.inject('/debug/heap')
    expect(busy.statusCode).toBe(409)
    expect(Number(busy.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    const res = await pending
    const calls = await churn.stop()
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-disposition']).toBe('attachment; filename="allocs-delta"')
    const p = decodeProfile(res.rawPayload)
    expect(p.sampleTypes).toEqual(['alloc_objects/count', 'alloc_space/bytes', 'inuse_objects/count', 'inuse_space/bytes'])
    expect(p.defaultSampleType).toBe('alloc_space')
    const allocSpace = top(p.flat('alloc_space'))
    expect(allocSpace[0]?.[0]).toBe('churnAllocationsForTest')
    // About the number of objects really allocated (V8's unsampling is an estimate).
    const objects = p.flat('alloc_objects').get('churnAllocationsForTest') ?? 0
    const allocated = calls * ROWS
    expect(objects).toBeGreaterThan(allocated * 0.4)
    expect(objects).toBeLessThan(allocated * 2.5)
    expect(p.total('inuse_space')).toBe(0)
    expect(p.strings.some((s) => s.startsWith('alloc_*: every allocation sampled during the window'))).toBe(true)
    expect(Number(p.profile.durationNanos)).toBeGreaterThanOrEqual(2e9)
    expect(sink).toBeGreaterThan(0)
  })

  it('gives the heap sampler back: the in-use heap profile works right after, and the profiler is free', async () => {
    expect(heapSamplerPaused()).toBe(false)
    expect(heavyHolder()).toBeUndefined()
    const keep = Array.from({ length: 1000 }, (_, i) => ({ i }))
    const res = await app.inject('/debug/heap')
    expect(res.statusCode).toBe(200)
    expect(decodeProfile(res.rawPayload).sampleTypes).toEqual(['inuse_objects/count', 'inuse_space/bytes'])
    expect(keep).toHaveLength(1000)
  })

  it('/allocs is the same route, and an aborted window also gives the sampler back', async () => {
    const res = await app.inject('/debug/allocs?seconds=1')
    expect(res.statusCode).toBe(200)
    expect(decodeProfile(res.rawPayload).defaultSampleType).toBe('alloc_space')
    const other = await build({ prefix: '/other' })
    const pending = other.inject('/other/allocs?seconds=300')
    await until(() => heapSamplerPaused())
    expect(heavyHolder()).toBe('allocs profiling')
    await other.close()
    expect((await pending).statusCode).toBe(503)
    expect(heapSamplerPaused()).toBe(false)
    expect((await app.inject('/debug/heap')).statusCode).toBe(200)
  })
})

describe('GET /debug/pprof/allocs without seconds', () => {
  it('answers the in-use heap in Go\'s allocs shape, alloc_* zero, and says why', async () => {
    const kept = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `kept-${i}` }))
    const res = await app.inject('/debug/pprof/allocs')
    expect(kept).toHaveLength(200_000)
    const p = decodeProfile(res.rawPayload)
    expect(p.total('alloc_space')).toBe(0)
    expect(p.total('inuse_space')).toBeGreaterThan(0)
    expect(p.strings.some((s) => s.startsWith('alloc_* are zero: V8 keeps no cumulative allocation counts'))).toBe(true)
    const text = (await app.inject('/debug/pprof/allocs?debug=1')).payload
    expect(text).toMatch(/^heap profile: \d+: \d+ \[0: 0\] @ heap\/1048576\n/)
  })
})

describe.skipIf(!requireGo())('allocs with go tool pprof', () => {
  it('opens a window profile as alloc_space by default, with the churning function on top', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 })
    const churn = churnFor()
    try {
      const port = (app.server.address() as { port: number }).port
      const run = await goPprof(['-top', `http://127.0.0.1:${port}/debug/pprof/allocs?seconds=2`])
      expect(run.code, run.stderr).toBe(0)
      const report = parseTop(run.stdout)
      expect(report.type).toBe('alloc_space')
      expect(report.rows[0]?.name).toBe('churnAllocationsForTest')
    } finally {
      await churn.stop()
    }
  })
})
