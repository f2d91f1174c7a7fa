// The leak watch inside one app: its timing (after a natural major GC, never
// forcing one; deferred while an allocation window holds the sampler), /leaks
// with its fixed names and its text form, /heap?since= as a delta profile
// go tool pprof opens, strict parameters, options, metrics and two instances.
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { errors } from '../src/errors.js'
import { build } from './support/app.js'
import { decodeProfile } from './support/decode.js'
import { untilBusy } from './support/gc-pressure.js'
import { parseExposition, samplesOf } from './support/prom-text.js'
import { sleep, untilAsync } from './support/wait.js'

interface Leaks {
  verdict: string
  suspects: unknown[]
  heap: { postGcSlopeBytesPerHour: number, p: number, firstBytes: number, lastBytes: number }
  captures: number
  postGcCaptures: number
  timeline: Array<{ at: number, heapUsed: number, afterGc: boolean }>
  window: { from: number, to: number, seconds: number }
  chart: { at: number[], sites: Array<{ function: string, file: string, line: number, bytes: number[] }> }
  intervalMs: number
  keep: number
  nextCaptureAt: number
  evidence: unknown[]
}

const apps: FastifyInstance[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

async function watched (intervalMs = 1000, extra: object = {}): Promise<FastifyInstance> {
  const app = await build({ leakWatch: { intervalMs, keep: 12 }, ...extra })
  apps.push(app)
  return app
}

const leaks = async (app: FastifyInstance, prefix = '/debug'): Promise<Leaks> => (await app.inject(`${prefix}/leaks`)).json()
const engineOf = async (app: FastifyInstance): Promise<string> =>
  ((await app.inject('/debug/stats')).json() as { node: { heapProfiler: { engine: string } } }).node.heapProfiler.engine

let kept: Array<{ i: number, label: string }> = []
// A plain loop in a function too big to inline (pitfalls.md): the samples are charged to it.
function keepForSinceTest (count: number): void {
  for (let i = 0; i < count; i++) {
    kept.push({ i, label: 'kept since' })
    if (i % 50_000 === 0) kept.length += 0
  }
}

describe('GET /debug/leaks', () => {
  it('starts warming up, then fills its ring on the interval without forcing a GC, with the fixed field names', async () => {
    const app = await watched(1000)
    const forced = async (): Promise<number> => ((await app.inject('/debug/stats')).json() as { memstats: { NumForcedGC: number } }).memstats.NumForcedGC
    const forcedBefore = await forced()
    const first = await leaks(app)
    expect(first.verdict).toBe('warming-up')
    expect(first.suspects).toEqual([])
    expect(first.captures).toBe(0)
    expect(first.intervalMs).toBe(1000)
    expect(first.keep).toBe(12)
    expect(first.nextCaptureAt).toBeGreaterThan(Date.now())
    let report = first
    await untilBusy(async () => (report = await leaks(app)).captures >= 2)
    expect(await forced()).toBe(forcedBefore)
    expect(report.timeline).toHaveLength(report.captures)
    expect(report.timeline[1]?.at).toBeGreaterThan(report.timeline[0]?.at ?? Infinity)
    expect(report.window.seconds).toBeGreaterThanOrEqual(0)
    // The verdict and the chart rest on the captures taken right after a major GC only.
    const postGc = report.timeline.filter((t) => t.afterGc).map((t) => t.at)
    expect(report.postGcCaptures).toBe(postGc.length)
    expect(report.chart.at).toEqual(postGc)
    for (const site of report.chart.sites) expect(site.bytes).toHaveLength(postGc.length)
    const text = (await app.inject('/debug/leaks?debug=1')).payload
    expect(text).toMatch(/^verdict: warming-up\ncaptures: \d+ of 12, one every 1s; \d+ taken right after a major GC, over \S+\n/)
    expect(text).toContain('a verdict needs 8 captures taken right after a major GC')
    expect((await app.inject('/debug/leaks?debug=3')).statusCode).toBe(400)
  }, 20_000)

  it('takes a due capture right after the next major GC, or when due with an engine that collects before every read', async () => {
    const app = await watched(1000)
    if (await engineOf(app) === 'inspector') {
      // Every read is post-GC: no GC to wait for, and the capture is taken once due, not before. (The due state
      // lasts only as long as the capture, too short for the poll below to see.)
      const first = await leaks(app)
      let report = first
      await untilAsync(async () => (report = await leaks(app)).captures >= 1, 5000)
      expect(report.timeline[0]?.at).toBeGreaterThanOrEqual(first.nextCaptureAt)
      expect(report.timeline[0]?.afterGc).toBe(true)
      return
    }
    // Due after 1 s, the capture waits up to five minutes for a major GC: once it is due, provide one (?gc=1
    // runs a full GC).
    let due = await leaks(app)
    while (due.nextCaptureAt > Date.now()) {
      await sleep(20)
      due = await leaks(app)
    }
    const before = due.captures
    await app.inject('/debug/heap?gc=1')
    let report = await leaks(app)
    const deadline = Date.now() + 2000
    while (report.captures === before && Date.now() < deadline) {
      await sleep(20)
      report = await leaks(app)
    }
    expect(report.captures).toBe(before + 1)
    expect(report.timeline[report.timeline.length - 1]?.afterGc).toBe(true)
  }, 20_000)

  it('is not mounted with leakWatch: false, and options are validated', async () => {
    const app = await build({ leakWatch: false })
    apps.push(app)
    expect((await app.inject('/debug/leaks')).statusCode).toBe(404)
    expect((await app.inject('/debug/heap?since=1m')).statusCode).toBe(400)
    for (const leakWatch of [{ intervalMs: 10 }, { intervalMs: 99 }, { intervalMs: 1.5e3 + 0.5 }, { keep: 1 }, { dir: 'relative/dir' }, { nearHeapLimit: 1 }, { nearHeapLimit: 0 }, 'yes', null, [1]]) {
      const bad = (await import('fastify')).default()
      await expect(bad.register((await import('../src/index.js')).default, { leakWatch: leakWatch as never }).ready()).rejects.toBeInstanceOf(errors.FST_PPROF_INVALID_OPTION)
      await bad.close()
    }
  })
})

describe('GET /debug/heap?since=<Go duration>', () => {
  it('answers 503 with Retry-After before the first capture, then what grew since the capture nearest to now - since', async () => {
    const app = await watched(1000)
    const early = await app.inject('/debug/heap?since=1m')
    expect(early.statusCode).toBe(503)
    expect(Number(early.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    let report = await leaks(app)
    await untilBusy(async () => (report = await leaks(app)).captures >= 1)
    keepForSinceTest(300_000)
    try {
      const res = await app.inject('/debug/heap?since=2h')
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-disposition']).toBe('attachment; filename="heap-since"')
      const p = decodeProfile(res.rawPayload)
      expect(p.sampleTypes).toEqual(['inuse_objects/count', 'inuse_space/bytes'])
      // The real window: from the oldest capture (nearest to two hours ago) to now.
      const base = report.timeline[0]?.at ?? 0
      const seconds = Number(p.profile.durationNanos) / 1e9
      expect(Math.abs(seconds - (Date.now() - base) / 1000)).toBeLessThan(2)
      expect(p.strings.some((s) => s.startsWith('Heap growth over ') && s.includes(new Date(base).toISOString()))).toBe(true)
      expect(p.flat('inuse_space').get('keepForSinceTest')).toBeGreaterThan(5 * 1024 * 1024)
    } finally {
      kept = []
    }
  }, 20_000)

  it.each(['', '1', '-1m', '1d', '0s', '99999h', ' 1m'])('refuses since=%j with a 400', async (since) => {
    const app = await watched(60_000)
    const res = await app.inject({ url: '/debug/heap', query: { since } })
    expect(res.statusCode).toBe(400)
    expect(res.payload).toMatch(/invalid value for "since"/)
  })

  it('refuses since with seconds or debug, and twice', async () => {
    const app = await watched(60_000)
    for (const url of ['/debug/heap?since=1m&seconds=1', '/debug/heap?since=1m&debug=1', '/debug/heap?since=1m&since=2m']) {
      expect((await app.inject(url)).statusCode, url).toBe(400)
    }
  })
})

describe('the leak watch and the rest of the plugin', () => {
  it('puts the verdict and the post-GC slope on /metrics', async () => {
    const app = await watched(60_000)
    const e = parseExposition((await app.inject('/debug/metrics')).payload)
    expect(samplesOf(e, 'fastify_pprof_leak_verdict').map((s) => [s.labels.verdict, s.value])).toEqual([['growing', 0], ['steady', 0], ['warming-up', 1]])
    expect(samplesOf(e, 'fastify_pprof_heap_post_gc_slope_bytes_per_hour')).toHaveLength(1)
    expect(samplesOf(e, 'fastify_pprof_leak_suspect_growth_bytes')).toEqual([])
  })

  it('defers a capture while an allocation window holds V8\'s sampler', async () => {
    const app = await watched(1000)
    const window = app.inject('/debug/allocs?seconds=3')
    await sleep(2500)
    // Due at 1 s and again later: none may be taken during the window.
    expect((await leaks(app)).captures).toBe(0)
    expect((await window).statusCode).toBe(200)
    await untilBusy(async () => (await leaks(app)).captures > 0)
  }, 20_000)

  it('keeps one ring per registration', async () => {
    const a = await watched(1000, { prefix: '/a' })
    const b = await build({ prefix: '/b', leakWatch: { intervalMs: 60_000 } })
    apps.push(b)
    await untilBusy(async () => (await leaks(a, '/a')).captures >= 1)
    expect((await leaks(b, '/b')).captures).toBe(0)
    expect((await leaks(b, '/b')).intervalMs).toBe(60_000)
  }, 20_000)
})
