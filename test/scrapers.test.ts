import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basic } from './support/app.js'
import { decodeProfile, type Decoded } from './support/decode.js'
import { type RunningDemo, startDemo } from './support/demo.js'

// What Grafana Alloy's pyroscope.scrape and Parca ask of a Go target
// (go-pprof-spec.md §6), run against the demo app in its own process.
const AUTH = { PPROF_USER: 'ops', PPROF_PASSWORD: 'scrape-secret' }
let demo: RunningDemo
beforeAll(async () => { demo = await startDemo([], AUTH) })
afterAll(async () => { await demo.stop() })

async function scrape (path: string, userAgent: string, timeoutMs: number): Promise<Decoded> {
  const res = await fetch(`${demo.base}${path}`, {
    headers: { authorization: basic(AUTH.PPROF_USER, AUTH.PPROF_PASSWORD), 'user-agent': userAgent },
    // The scraper's own deadline: past it, the target is marked down.
    signal: AbortSignal.timeout(timeoutMs)
  })
  // Parca wants exactly 200; Alloy any 2xx and a non-empty body.
  expect(res.status).toBe(200)
  const body = Buffer.from(await res.arrayBuffer())
  expect(body.length).toBeGreaterThan(0)
  return decodeProfile(body)
}

/** Parca's normalizer and Alloy's delta computer, as checks. */
function expectScrapable (p: Decoded): void {
  expect(p.strings[0]).toBe('')
  p.profile.mapping.forEach((m, i) => expect(Number(m.id)).toBe(i + 1))
  p.profile.location.forEach((l, i) => expect(Number(l.id)).toBe(i + 1))
  p.profile.function.forEach((f, i) => expect(Number(f.id)).toBe(i + 1))
  const addresses = p.profile.location.map((l) => Number(l.address))
  expect(addresses.every((a) => a !== 0)).toBe(true)
  expect(new Set(addresses).size).toBe(addresses.length)
  for (const s of p.profile.sample) {
    // Alloy's delta computer panics past 4 values per sample.
    expect(s.value.length).toBeLessThanOrEqual(4)
    expect(s.locationId.every((id) => Number(id) > 0)).toBe(true)
    for (const label of s.label) expect(Number(label.key)).toBeGreaterThan(0)
  }
}

describe('continuous-profiling scrapers against the demo', () => {
  it('Alloy process_cpu: /debug/pprof/profile?seconds=14 answers within its 24 s deadline with Go\'s CPU types', async () => {
    const p = await scrape('/debug/pprof/profile?seconds=14', 'GrafanaAlloy/v1.3.1', 24_000)
    expect(p.sampleTypes).toEqual(['samples/count', 'cpu/nanoseconds'])
    expect(p.periodType).toBe('cpu/nanoseconds')
    expect(Number(p.profile.durationNanos)).toBeGreaterThanOrEqual(14e9)
    expectScrapable(p)
  }, 40_000)

  it('Parca process_cpu: ?seconds=10 within its 13 s deadline', async () => {
    const p = await scrape('/debug/pprof/profile?seconds=10', 'conprof/v0.22.0', 13_000)
    expect(p.sampleTypes).toEqual(['samples/count', 'cpu/nanoseconds'])
    expectScrapable(p)
  }, 30_000)

  it.each([
    ['/debug/pprof/allocs', ['alloc_objects/count', 'alloc_space/bytes', 'inuse_objects/count', 'inuse_space/bytes'], 'space/bytes'],
    ['/debug/pprof/goroutine', ['goroutine/count'], 'goroutine/count'],
    ['/debug/pprof/block', ['contentions/count', 'delay/nanoseconds'], 'contentions/count'],
    ['/debug/pprof/mutex', ['contentions/count', 'delay/nanoseconds'], 'contentions/count'],
    ['/debug/pprof/heap', ['inuse_objects/count', 'inuse_space/bytes'], 'space/bytes']
  ])('%s decodes with Go\'s sample types', async (path, types, periodType) => {
    for (const agent of ['GrafanaAlloy/v1.3.1', 'conprof/v0.22.0']) {
      const p = await scrape(path, agent, 10_000)
      expect(p.sampleTypes).toEqual(types)
      expect(p.periodType).toBe(periodType)
      expectScrapable(p)
    }
  })

  it('the goroutine analog sees the demo\'s listening socket and timers', async () => {
    const p = await scrape('/debug/pprof/goroutine', 'GrafanaAlloy/v1.3.1', 10_000)
    expect(p.flat('goroutine').get('TCPServerWrap')).toBeGreaterThanOrEqual(1)
  })
})
