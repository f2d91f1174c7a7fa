import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import { getHeapStatistics } from 'node:v8'
import { createContext, runInContext } from 'node:vm'
import Fastify, { type FastifyInstance } from 'fastify'
import client from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PprofContext } from '../src/context.js'
import { GC_HISTOGRAM, METRICS, STALL_METRICS } from '../src/metrics/catalog.js'
import { createMetrics } from '../src/metrics/index.js'
import { parseMaxFds, parseStatus } from '../src/metrics/procfs.js'
import { resolveOptions } from '../src/options.js'
import { basic, build } from './support/app.js'
import { startServer } from './support/listen.js'
import { type Exposition, parseExposition, samplesOf, valueOf } from './support/prom-text.js'
import { until, untilAsync } from './support/wait.js'

const PROM_TEXT = 'text/plain; version=0.0.4; charset=utf-8'
const MB = 1024 * 1024

let app: FastifyInstance
// The stall watch on, as by default (the test helper turns it off), for its two series.
beforeAll(async () => { app = await build({ statsIntervalMs: 100, costlyStatsIntervalMs: 100, stallWatch: true }) })
afterAll(async () => { await app?.close() })

async function scrape (target: FastifyInstance = app, url = '/debug/metrics'): Promise<Exposition> {
  const res = await target.inject(url)
  expect(res.statusCode, res.payload).toBe(200)
  expect(res.headers['content-type']).toBe(PROM_TEXT)
  return parseExposition(res.payload)
}

const forceGc = async (): Promise<void> => {
  expect((await app.inject('/debug/heap?gc=1')).statusCode).toBe(200)
}

/** Scrapes until `check` holds (the sampler refreshes in the background); returns that scrape. */
async function scrapeUntil (check: (e: Exposition) => boolean, what: string, timeoutMs = 5000): Promise<Exposition> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const e = await scrape()
    if (check(e)) return e
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last scrape:\n${e.samples.filter((s) => !s.name.startsWith('nodejs_heap_space') && !s.name.startsWith('nodejs_gc')).map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).join('\n')}`)
    await sleep(20)
  }
}

/** Retains `mb` MB of doubles in the V8 heap, in 1 MB arrays. */
function retainDoubles (mb: number): number[][] {
  const out: number[][] = []
  for (let i = 0; i < mb; i++) {
    const chunk: number[] = []
    for (let j = 0; j < MB / 8; j++) chunk.push(j + 0.5)
    out.push(chunk)
  }
  return out
}

/** Resource types keeping the loop alive, by count. */
function resourceCounts (): Map<string, number> {
  const out = new Map<string, number>()
  for (const type of process.getActiveResourcesInfo()) out.set(type, (out.get(type) ?? 0) + 1)
  return out
}

/** Waits (bounded) until no resource type has more entries than in `baseline`: nothing new stays alive. */
async function expectNothingNewAlive (baseline: Map<string, number>): Promise<void> {
  const extra = (): string[] => [...resourceCounts()].filter(([type, n]) => n > (baseline.get(type) ?? 0)).map(([type, n]) => `${type} ${n - (baseline.get(type) ?? 0)}`)
  const deadline = Date.now() + 2000
  while (extra().length > 0 && Date.now() < deadline) await sleep(20)
  expect(extra()).toEqual([])
}

describe('GET /debug/metrics', () => {
  it('serves every series in the Prometheus text format with the catalogue\'s names, types and labels', async () => {
    const res = await app.inject('/debug/metrics')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe(PROM_TEXT)
    expect(res.headers['cache-control']).toBe('no-store')
    const e = parseExposition(res.payload)
    const expected = [...METRICS.map((m) => [m.name, m.type] as const), [GC_HISTOGRAM.name, 'histogram'] as const,
      [STALL_METRICS.counter, 'counter'] as const, [STALL_METRICS.histogram, 'histogram'] as const]
    expect([...e.type.entries()].sort()).toEqual(expected.map(([n, t]) => [n, t]).sort())
    for (const m of METRICS) {
      expect(e.help.get(m.name)).toBe(m.help)
      for (const s of samplesOf(e, m.name)) {
        expect(Object.keys(s.labels).sort(), m.name).toEqual([...(m.labelNames ?? [])].sort())
        expect(Number.isFinite(s.value), `${m.name} ${s.value}`).toBe(true)
        expect(s.value, m.name).toBeGreaterThanOrEqual(0)
      }
    }
    // prom-client's default names that dashboards use, spelled out here rather than taken from the catalogue.
    for (const name of [
      'nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes',
      'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_active_resources_total',
      'nodejs_active_handles_total', 'nodejs_active_requests_total', 'process_resident_memory_bytes',
      'process_cpu_seconds_total', 'process_start_time_seconds', 'process_max_fds'
    ]) expect(samplesOf(e, name), name).toHaveLength(1)
    expect(e.type.get('nodejs_gc_duration_seconds')).toBe('histogram')
    for (const kind of ['major', 'minor', 'incremental', 'weakcb']) {
      expect(samplesOf(e, 'nodejs_gc_duration_seconds_bucket', { kind }).map((s) => s.labels.le))
        .toEqual(['0.001', '0.01', '0.1', '1', '2', '5', '+Inf'])
    }
    for (const name of ['total', 'used', 'available', 'physical']) {
      expect(samplesOf(e, `nodejs_heap_space_size_${name}_bytes`).map((s) => s.labels.space)).toEqual(expect.arrayContaining(['new', 'old', 'code', 'large_object']))
    }
  })

  it('reports what the runtime reports: heap, heap spaces, limit, CPU, RSS, start time, version, fd limit', async () => {
    const cpuBefore = process.cpuUsage()
    const e = await scrape()
    const cpuAfter = process.cpuUsage()
    const mem = process.memoryUsage()
    const heapUsed = valueOf(e, 'nodejs_heap_size_used_bytes')
    expect(Math.abs(heapUsed - mem.heapUsed)).toBeLessThan(8 * MB)
    expect(valueOf(e, 'nodejs_heap_size_total_bytes')).toBeGreaterThanOrEqual(heapUsed)
    // The spaces add up to the heap, within one scrape.
    const spacesUsed = samplesOf(e, 'nodejs_heap_space_size_used_bytes').reduce((sum, s) => sum + s.value, 0)
    expect(Math.abs(spacesUsed - heapUsed)).toBeLessThan(MB)
    const spacesTotal = samplesOf(e, 'nodejs_heap_space_size_total_bytes').reduce((sum, s) => sum + s.value, 0)
    expect(Math.abs(spacesTotal - valueOf(e, 'nodejs_heap_size_total_bytes'))).toBeLessThan(MB)
    expect(valueOf(e, 'nodejs_heap_size_limit_bytes')).toBe(getHeapStatistics().heap_size_limit)

    const user = valueOf(e, 'process_cpu_user_seconds_total')
    const system = valueOf(e, 'process_cpu_system_seconds_total')
    expect(user).toBeGreaterThanOrEqual(cpuBefore.user / 1e6)
    expect(user).toBeLessThanOrEqual(cpuAfter.user / 1e6)
    expect(system).toBeGreaterThanOrEqual(cpuBefore.system / 1e6)
    expect(system).toBeLessThanOrEqual(cpuAfter.system / 1e6)
    expect(valueOf(e, 'process_cpu_seconds_total')).toBeCloseTo(user + system, 6)

    const rss = valueOf(e, 'process_resident_memory_bytes')
    expect(Math.abs(rss - mem.rss) / mem.rss).toBeLessThan(0.2)
    expect(Math.abs(valueOf(e, 'process_start_time_seconds') - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2)
    const [major, minor, patch] = process.version.slice(1).split('.')
    expect(samplesOf(e, 'nodejs_version_info')).toEqual([{ name: 'nodejs_version_info', labels: { version: process.version, major, minor, patch }, value: 1 }])
    if (process.platform === 'linux') {
      expect(valueOf(e, 'process_max_fds')).toBe(parseMaxFds(readFileSync('/proc/self/limits', 'utf8')))
      expect(valueOf(e, 'process_virtual_memory_bytes')).toBeGreaterThan(rss)
      expect(valueOf(e, 'process_heap_bytes')).toBeGreaterThan(0)
      // Sampled at most 100 ms ago; readdir's own descriptor is not counted.
      expect(Math.abs(valueOf(e, 'process_open_fds') - (readdirSync('/proc/self/fd').length - 1))).toBeLessThanOrEqual(3)
    }
  })

  it('nodejs_heap_size_used_bytes rises by about what the app retains (~50 MB)', async () => {
    await forceGc()
    const before = valueOf(await scrape(), 'nodejs_heap_size_used_bytes')
    const runtimeBefore = process.memoryUsage().heapUsed
    let kept: number[][] | undefined = retainDoubles(50)
    await forceGc()
    const after = valueOf(await scrape(), 'nodejs_heap_size_used_bytes')
    const runtimeGrowth = process.memoryUsage().heapUsed - runtimeBefore
    expect(kept).toHaveLength(50)
    expect(after - before).toBeGreaterThan(45 * MB)
    expect(after - before).toBeLessThan(90 * MB)
    expect(Math.abs((after - before) - runtimeGrowth)).toBeLessThan(4 * MB)
    kept = undefined
    await forceGc()
    expect(valueOf(await scrape(), 'nodejs_heap_size_used_bytes')).toBeLessThan(before + 10 * MB)
  })

  it('forced GCs show up as major GCs in nodejs_gc_duration_seconds, buckets cumulative', async () => {
    const before = await scrape()
    const count = (e: Exposition): number => valueOf(e, 'nodejs_gc_duration_seconds_count', { kind: 'major' })
    const sum = (e: Exposition): number => valueOf(e, 'nodejs_gc_duration_seconds_sum', { kind: 'major' })
    for (let i = 0; i < 3; i++) await forceGc()
    // perf_hooks delivers gc entries asynchronously.
    const after = await scrapeUntil((e) => count(e) >= count(before) + 3, '3 more major GCs')
    expect(sum(after)).toBeGreaterThan(sum(before))
    // A full GC of a small heap takes well under a second.
    expect((sum(after) - sum(before)) / (count(after) - count(before))).toBeLessThan(1)
    for (const kind of GC_HISTOGRAM.kinds) {
      const buckets = samplesOf(after, 'nodejs_gc_duration_seconds_bucket', { kind }).map((s) => s.value)
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1] as number)
      expect(buckets.at(-1)).toBe(valueOf(after, 'nodejs_gc_duration_seconds_count', { kind }))
    }
  })

  it('open fds, active resources and handles follow what the process holds (sampled, not read per scrape)', async () => {
    const timeouts = (e: Exposition): number => samplesOf(e, 'nodejs_active_resources', { type: 'Timeout' })[0]?.value ?? 0
    const servers = (e: Exposition): number => samplesOf(e, 'nodejs_active_handles', { type: 'Server' })[0]?.value ?? 0
    const fds = (e: Exposition): number => samplesOf(e, 'process_open_fds')[0]?.value ?? -1
    await scrapeUntil((e) => fds(e) > 0, 'a first fd count')
    // The quietest of a few samples, so that a timer alive at one sampling instant does not raise the baseline.
    const quiet: Exposition[] = []
    for (let i = 0; i < 5; i++) { await sleep(100); quiet.push(await scrape()) }
    const least = (f: (e: Exposition) => number): number => Math.min(...quiet.map(f))
    const before = { fds: least(fds), timeouts: least(timeouts), servers: least(servers) }
    const files: number[] = []
    const timers: NodeJS.Timeout[] = []
    const listening: Server[] = []
    try {
      for (let i = 0; i < 25; i++) files.push(openSync('/dev/null', 'r'))
      for (let i = 0; i < 10; i++) timers.push(setInterval(() => {}, 60_000))
      for (let i = 0; i < 3; i++) {
        const server = createServer()
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
        listening.push(server)
      }
      // A sample can catch a transient timer or descriptor (this test's own polling sleep, a file being read): allow one or two.
      const during = await scrapeUntil((e) => fds(e) >= before.fds + 25 - 2 && timeouts(e) >= before.timeouts + 10 - 1 && servers(e) >= before.servers + 3,
        `25 more fds, 10 more timers and 3 more servers than ${JSON.stringify(before)}`)
      expect(fds(during) - before.fds).toBeLessThan(25 + 3 + 5)
      // Totals agree with the per-type series of the same scrape.
      const sum = (name: string): number => samplesOf(during, name).reduce((n, s) => n + s.value, 0)
      expect(valueOf(during, 'nodejs_active_resources_total')).toBe(sum('nodejs_active_resources'))
      expect(valueOf(during, 'nodejs_active_handles_total')).toBe(sum('nodejs_active_handles'))
      expect(valueOf(during, 'nodejs_active_requests_total')).toBe(sum('nodejs_active_requests'))
      expect(samplesOf(during, 'nodejs_active_resources', { type: 'TCPServerWrap' })[0]?.value).toBeGreaterThanOrEqual(3)
    } finally {
      for (const fd of files) closeSync(fd)
      for (const t of timers) clearInterval(t)
      for (const s of listening) s.close()
    }
    await scrapeUntil((e) => fds(e) < before.fds + 5 && timeouts(e) <= before.timeouts + 1 && servers(e) === before.servers, 'the counts to come back down')
  })

  it('event-loop delay percentiles and utilization come from the sampler\'s last interval', async () => {
    const idle = await scrape()
    expect(valueOf(idle, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0)
    expect(valueOf(idle, 'nodejs_eventloop_lag_seconds')).toBeLessThan(1)
    const order = ['min', 'p50', 'p90', 'p99', 'max'].map((q) => valueOf(idle, `nodejs_eventloop_lag_${q}_seconds`))
    for (let i = 1; i < order.length; i++) expect(order[i]).toBeGreaterThanOrEqual(order[i - 1] as number)

    // Block the loop for 300 ms: the next interval's max delay shows it.
    const block = (ms: number): void => { const end = performance.now() + ms; while (performance.now() < end); }
    block(300)
    const blocked = await scrapeUntil((e) => valueOf(e, 'nodejs_eventloop_lag_max_seconds') > 0.2, 'a max delay above 200 ms')
    expect(valueOf(blocked, 'nodejs_eventloop_lag_max_seconds')).toBeLessThan(1)

    // Keep the loop busy in 30 ms slices for a second: utilization of an interval nears 1.
    const until = performance.now() + 1000
    let peak = 0
    while (performance.now() < until) {
      block(30)
      peak = Math.max(peak, valueOf(await scrape(), 'nodejs_eventloop_utilization_ratio'))
      await nextTurn()
    }
    expect(peak).toBeGreaterThan(0.7)
    expect(peak).toBeLessThanOrEqual(1)
  })

  it('nodejs_native_contexts counts a vm context the app keeps', async () => {
    const before = valueOf(await scrape(), 'nodejs_native_contexts')
    const context = createContext({ answer: 41 })
    const during = valueOf(await scrape(), 'nodejs_native_contexts')
    // The context is alive (and used) across the scrape.
    expect(runInContext('answer + 1', context)).toBe(42)
    expect(during).toBe(before + 1)
    expect(valueOf(await scrape(), 'nodejs_detached_contexts')).toBe(getHeapStatistics().number_of_detached_contexts)
  })

  it('counts the server\'s requests in flight, the scrape included', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    const server = await startServer({}, (host) => { host.get('/slow', async () => { await gate; return 'ok' }) })
    try {
      const slow = fetch(`${server.url}/slow`)
      const inFlight = async (): Promise<number> => valueOf(parseExposition(await (await fetch(`${server.url}/debug/metrics`)).text()), 'fastify_requests_in_flight')
      await until(() => server.requests.some((r) => r.url === '/slow'), 5000)
      expect(await inFlight()).toBe(2)
      release()
      const res = await slow
      expect(res.status).toBe(200)
      await res.text()
      // The server counts a request done when its response has closed, which can follow the client's read.
      await untilAsync(async () => await inFlight() === 1)
    } finally {
      release()
      await server.close()
    }
  })

  it('is behind the same auth as every other route', async () => {
    const guarded = await build({ auth: { username: 'u', password: 'secret-pw' } })
    try {
      expect((await guarded.inject('/debug/metrics')).statusCode).toBe(401)
      expect((await guarded.inject({ url: '/debug/metrics', headers: { authorization: basic('u', 'wrong') } })).statusCode).toBe(401)
      const ok = await guarded.inject({ url: '/debug/metrics', headers: { authorization: basic('u', 'secret-pw') } })
      expect(ok.statusCode).toBe(200)
      expect(ok.payload).toContain('nodejs_heap_size_used_bytes ')
    } finally {
      await guarded.close()
    }
    const open = await build()
    try {
      expect((await open.inject({ url: '/debug/metrics', remoteAddress: '10.0.0.8' })).statusCode).toBe(403)
    } finally {
      await open.close()
    }
  })

  it('documents every series in docs/runtime-stats.md\'s Metrics section', () => {
    const doc = readFileSync(new URL('../docs/runtime-stats.md', import.meta.url), 'utf8')
    const section = /\n## Metrics\n([\s\S]*?)(\n## |$)/.exec(doc)?.[1] ?? ''
    for (const name of [...METRICS.map((m) => m.name), GC_HISTOGRAM.name, STALL_METRICS.counter, STALL_METRICS.histogram]) expect(section).toContain(`| \`${name}\``)
  })
})

describe('procfs parsing', () => {
  it('reads VmSize and VmData in kB, and the soft open-files limit', () => {
    expect(parseStatus('Name:\tnode\nVmSize:\t 1000 kB\nVmRSS:\t 20 kB\nVmData:\t 300 kB\n')).toEqual({ virtualBytes: 1024000, dataBytes: 307200 })
    expect(parseStatus('Name:\tnode\n')).toEqual({ virtualBytes: undefined, dataBytes: undefined })
    expect(parseMaxFds('Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 4096                 files     \n')).toBe(1024)
    expect(parseMaxFds('Max open files            unlimited            unlimited            files     \n')).toBeUndefined()
  })
})

describe('lifecycle and leaks', () => {
  it('does not grow: thousands of /metrics requests leave the heap where it was', async () => {
    for (let i = 0; i < 300; i++) await app.inject('/debug/metrics')
    await forceGc()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < 3000; i++) await app.inject('/debug/metrics')
    await forceGc()
    const growth = process.memoryUsage().heapUsed - before
    expect(growth).toBeLessThan(3e6)
  })

  it('after close, nothing the metrics code started stays alive: no handles, no timers, the registry is collectable', async () => {
    const resources = resourceCounts()
    const ctx = new PprofContext(resolveOptions({ statsIntervalMs: 100, costlyStatsIntervalMs: 100 }))
    let metrics: ReturnType<typeof createMetrics> | undefined = createMetrics(ctx)
    for (let i = 0; i < 5; i++) await metrics.scrape()
    ctx.collectGarbage()
    await sleep(150)
    expect(await metrics.scrape()).toMatch(/^nodejs_gc_duration_seconds_count\{kind="major"\} [1-9]/m)
    const registry = new WeakRef(metrics.registry)
    ctx.close()
    metrics = undefined
    // A WeakRef target stays alive until the current job ends.
    await sleep(50)
    ctx.collectGarbage()
    await nextTurn()
    ctx.collectGarbage()
    expect(registry.deref(), 'the registry is still referenced after close (a GC listener or timer holds it)').toBeUndefined()
    await expectNothingNewAlive(resources)
  })

  it('a closed app leaves prom-client\'s global registry empty and the process\'s resources as they were', async () => {
    const resources = resourceCounts()
    const a = await build({ prefix: '/a', statsIntervalMs: 100, costlyStatsIntervalMs: 100 })
    for (let i = 0; i < 5; i++) await scrape(a, '/a/metrics')
    await sleep(250)
    await scrape(a, '/a/metrics')
    await a.close()
    await expectNothingNewAlive(resources)
    expect(client.register.getMetricsAsArray()).toEqual([])
  })
})

// Last: collectDefaultMetrics() starts an event-loop monitor and a GC observer that nothing can stop.
describe('alongside other prom-client users', () => {
  it('two plugin instances and a host app on the global registry with collectDefaultMetrics() all serve their metrics', async () => {
    const one = await build({ prefix: '/one' })
    client.collectDefaultMetrics()
    const host = Fastify()
    host.get('/metrics', async (_request, reply) => reply.header('content-type', client.register.contentType).send(await client.register.metrics()))
    const two = await build({ prefix: '/two' })
    try {
      const [a, b] = [await scrape(one, '/one/metrics'), await scrape(two, '/two/metrics')]
      const global = (await host.inject('/metrics'))
      expect(global.statusCode).toBe(200)
      const g = parseExposition(global.payload)
      for (const e of [a, b]) {
        expect(Math.abs(valueOf(e, 'nodejs_heap_size_used_bytes') - process.memoryUsage().heapUsed)).toBeLessThan(16 * MB)
        expect(Math.abs(valueOf(e, 'process_start_time_seconds') - valueOf(g, 'process_start_time_seconds'))).toBeLessThanOrEqual(1)
      }
      // Same names, types, help texts and label names as prom-client's own default metrics.
      expect(g.type.size).toBeGreaterThan(20)
      for (const [name, type] of g.type) {
        expect(a.type.get(name), name).toBe(type)
        expect(a.help.get(name), name).toBe(g.help.get(name))
        const labelsOf = (e: Exposition): string[] => [...new Set(samplesOf(e, name).flatMap((s) => Object.keys(s.labels)))].sort()
        if (samplesOf(g, name).length > 0 && samplesOf(a, name).length > 0) expect(labelsOf(a), name).toEqual(labelsOf(g))
      }
      // Closing one instance leaves the other and the host working.
      await one.close()
      await scrape(two, '/two/metrics')
      expect((await host.inject('/metrics')).statusCode).toBe(200)
    } finally {
      await one.close()
      await two.close()
      await host.close()
      client.register.clear()
    }
  })
})
