// Options that change what the plugin does, each checked where it shows: in a
// decoded profile, in /stats, in a header; and the error answers no other test
// reaches.
import { Session } from 'node:inspector'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { basic, build } from './support/app.js'
import { whileBurning } from './support/burn.js'
import { decodeProfile } from './support/decode.js'
import { releaseRetained, retainForPageTest } from './support/leak.js'
import { untilAsync } from './support/wait.js'

const AUTH = { username: 'ops', password: 'secret' }
const apps: Array<Awaited<ReturnType<typeof build>>> = []
afterEach(async () => {
  vi.restoreAllMocks()
  releaseRetained()
  for (const app of apps.splice(0)) await app.close()
})

async function app (...args: Parameters<typeof build>): Promise<Awaited<ReturnType<typeof build>>> {
  const a = await build(...args)
  apps.push(a)
  return a
}

describe('options that change profiles', () => {
  it('cpuSamplingHz sets the CPU profile\'s period and how many samples a second it holds', async () => {
    const a = await app({ cpuSamplingHz: 50, leakWatch: false })
    const res = await whileBurning(async () => await a.inject('/debug/profile?seconds=1'))
    const p = decodeProfile(res.rawPayload)
    expect(Number(p.profile.period)).toBe(20e6)
    const samples = p.total('samples')
    expect(samples).toBeGreaterThan(10)
    // 50 a second over the profile's real window (a loaded machine can stretch it): well under a default 100 Hz.
    const seconds = Number(p.profile.durationNanos) / 1e9
    expect(samples).toBeLessThanOrEqual(seconds * 50 * 1.25)
    expect(p.total('cpu')).toBe(samples * 20e6)
  })

  it('defaultProfileSeconds is how long /profile runs without ?seconds', async () => {
    const a = await app({ defaultProfileSeconds: 1, leakWatch: false })
    const res = await a.inject('/debug/profile')
    expect(res.statusCode).toBe(200)
    const seconds = Number(decodeProfile(res.rawPayload).profile.durationNanos) / 1e9
    expect(seconds).toBeGreaterThanOrEqual(0.9)
    expect(seconds).toBeLessThan(5)
  })

  it('symbolTableSize bounds the addresses /pprof/symbol can name, the oldest forgotten first', async () => {
    const a = await app({ symbolTableSize: 2, leakWatch: false })
    // The sampler sees only what is allocated once it runs (and a fresh one may have seen little): give it stacks.
    retainForPageTest(8)
    const text = (await a.inject('/debug/pprof/heap?debug=1')).payload
    const addresses = [...new Set([...text.matchAll(/^#\t(0x[0-9a-f]+)\t/gm)].map((m) => (BigInt(m[1] as string) + 1n)))]
    expect(addresses.length).toBeGreaterThan(3)
    const named = []
    for (const address of addresses) {
      const res = (await a.inject(`/debug/pprof/symbol?0x${address.toString(16)}`)).payload
      if (res.split('\n').length > 2) named.push(address)
    }
    expect(named).toHaveLength(2)
    const none = await app({ prefix: '/none', symbolTableSize: 0, leakWatch: false })
    await none.inject('/none/pprof/heap?debug=1')
    expect((await none.inject(`/none/pprof/symbol?0x${(addresses[0] as bigint).toString(16)}`)).payload).toBe('num_symbols: 1\n')
  })
})

describe('options that change stats and access', () => {
  it('costlyStatsIntervalMs is how often active resources are re-counted', async () => {
    const sampledAt = async (a: Awaited<ReturnType<typeof build>>, prefix = '/debug'): Promise<number> => ((await a.inject(`${prefix}/stats`)).json() as { node: { activeResources: { sampledAt: number } } }).node.activeResources.sampledAt
    const fast = await app({ costlyStatsIntervalMs: 200, leakWatch: false })
    const first = await sampledAt(fast)
    await untilAsync(async () => await sampledAt(fast) > first, 5000)
    const slow = await app({ prefix: '/slow', costlyStatsIntervalMs: 3_600_000, statsIntervalMs: 100, leakWatch: false })
    const once = await sampledAt(slow, '/slow')
    // Past several of the slow instance's own ticks (its first one included) and the fast one's re-counts, the
    // slow one still serves the count it took at registration.
    const ticks = async (): Promise<number> => ((await slow.inject('/slow/stats/history')).json() as { series: { t: number[] } }).series.t.length
    await untilAsync(async () => await ticks() >= 3, 5000)
    const seen = await sampledAt(fast)
    await untilAsync(async () => await sampledAt(fast) > seen, 5000)
    expect(await sampledAt(slow, '/slow')).toBe(once)
  })

  it('authRateLimit.maxAddresses bounds the addresses remembered: the oldest blocked one is forgotten', async () => {
    const a = await app({ auth: AUTH, authRateLimit: { maxFailures: 1, windowMs: 60_000, maxAddresses: 1 }, leakWatch: false })
    const attempt = async (ip: string): Promise<number> =>
      (await a.inject({ url: '/debug/stats', remoteAddress: ip, headers: { authorization: basic('ops', 'wrong') } })).statusCode
    expect(await attempt('10.0.0.1')).toBe(401)
    expect(await attempt('10.0.0.1')).toBe(429)
    // A second address pushes the first out of the table of one.
    expect(await attempt('10.0.0.2')).toBe(401)
    expect(await attempt('10.0.0.1')).toBe(401)
  })

  it('a custom realm is the one WWW-Authenticate names', async () => {
    const a = await app({ auth: { ...AUTH, realm: 'ops area' }, leakWatch: false })
    const res = await a.inject('/debug/stats')
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Basic realm="ops area", charset="UTF-8"')
  })

  it('with auth, a cross-site request is refused even with good credentials', async () => {
    const a = await app({ auth: AUTH, leakWatch: false })
    const headers = { authorization: basic('ops', 'secret') }
    expect((await a.inject({ url: '/debug/stats', headers })).statusCode).toBe(200)
    const res = await a.inject({ url: '/debug/stats', headers: { ...headers, 'sec-fetch-site': 'cross-site' } })
    expect(res.statusCode).toBe(403)
    expect(res.payload).toBe('forbidden: cross-site request\n')
  })
})

describe('answers no other test reaches', () => {
  it('a CPU profiler that will not start is FST_PPROF_PROFILER_FAILED, 500, with the reason', async () => {
    const a = await app({ leakWatch: false })
    const post = Session.prototype.post
    vi.spyOn(Session.prototype, 'post').mockImplementation(function (this: Session, method: string, ...rest: unknown[]) {
      const callback = rest[rest.length - 1] as (err: Error | null) => void
      if (method === 'Profiler.start') return callback(new Error('the profiler is on strike'))
      return (post as (...args: unknown[]) => void).call(this, method, ...rest)
    } as typeof post)
    const res = await a.inject('/debug/profile?seconds=1')
    expect(res.statusCode).toBe(500)
    expect(res.headers['x-go-pprof']).toBe('1')
    expect(res.payload).toBe('failed to collect profile: the profiler is on strike\n')
  })

  it('an unexpected failure is a plain 500 that says "internal error", and is logged', async () => {
    const lines: string[] = []
    const a = await app({ leakWatch: false }, { logger: { level: 'error', stream: { write: (line: string) => { lines.push(line) } } } })
    vi.spyOn(process, 'getActiveResourcesInfo').mockImplementation(() => { throw new Error('secret detail') })
    const res = await a.inject('/debug/pprof/goroutine')
    expect(res.statusCode).toBe(500)
    expect(res.payload).toBe('internal error\n')
    expect(lines.some((l) => l.includes('fastify-pprof: request failed') && l.includes('secret detail'))).toBe(true)
  })

  it('a delta longer than the connection timeout is FST_PPROF_EXCEEDS_TIMEOUT, as a CPU profile is', async () => {
    const a = await app({ leakWatch: false }, { connectionTimeout: 2000 })
    for (const url of ['/debug/heap?seconds=2', '/debug/pprof/goroutine?seconds=3', '/debug/allocs?seconds=2']) {
      const res = await a.inject(url)
      expect(res.statusCode, url).toBe(400)
      expect(res.payload, url).toBe(`profile duration exceeds server's WriteTimeout (seconds=${url.endsWith('3') ? 3 : 2}, connectionTimeout=2000ms)\n`)
    }
  })

  it('debug=2, which Go\'s index links for goroutine, is the text form', async () => {
    const a = await app({ leakWatch: false })
    const res = await a.inject('/debug/pprof/goroutine?debug=2')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.payload).toMatch(/^goroutine profile: total \d+\n/)
  })

  it('HEAD /heapsnapshot answers headers without writing a snapshot, and /heapsnapshot needs auth like every route', async () => {
    const a = await app({ heapSnapshot: true, auth: AUTH, leakWatch: false })
    expect((await a.inject('/debug/heapsnapshot')).statusCode).toBe(401)
    const head = await a.inject({ method: 'HEAD', url: '/debug/heapsnapshot', headers: { authorization: basic('ops', 'secret') } })
    expect(head.statusCode).toBe(200)
    expect(head.headers['content-disposition']).toMatch(/^attachment; filename="heap-.*\.heapsnapshot"$/)
    expect(head.payload).toBe('')
  })

  it('a /pprof/symbol POST over 1 MB is refused with 413', async () => {
    const a = await app({ leakWatch: false })
    const res = await a.inject({ method: 'POST', url: '/debug/pprof/symbol', headers: { 'content-type': 'application/octet-stream' }, payload: '0x1+'.repeat(300_000) })
    expect(res.statusCode).toBe(413)
    const small = await a.inject({ method: 'POST', url: '/debug/pprof/symbol', headers: { 'content-type': 'application/octet-stream' }, payload: '0x1+0x2' })
    expect(small.statusCode).toBe(200)
  })
})
