// A real Prometheus (Debian `prometheus` 2.42) scrapes {prefix}/metrics of a listening server in this process.
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from './support/listen.js'
import { type ActiveTarget, type PrometheusServer, query, requirePrometheus, startPrometheus, waitFor } from './support/prometheus.js'

const MB = 1024 * 1024
const GB = 1024 * MB
const AUTH = { username: 'scraper', password: 'prom-test-password' }

/** The single value of an instant query for our job. */
async function scalar (prom: PrometheusServer, promql: string): Promise<number> {
  const result = await query(prom, promql)
  if (result.length !== 1) throw new Error(`${promql}: ${result.length} series`)
  return Number(result[0]?.value[1])
}

describe.skipIf(!requirePrometheus())('Prometheus scraping GET /debug/metrics', () => {
  let server: TestServer | undefined
  let prom: PrometheusServer | undefined

  beforeAll(async () => {
    server = await startServer({ auth: AUTH, statsIntervalMs: 200 })
    prom = await startPrometheus({ hostPort: server.hostPort, metricsPath: '/debug/metrics', basicAuth: AUTH })
  })

  afterAll(async () => {
    await prom?.stop()
    await server?.close()
  })

  const p = (): PrometheusServer => prom as PrometheusServer
  const selector = (): string => `{job="${p().job}",instance="${(server as TestServer).hostPort}"}`

  it('scrapes the target with basic auth: health up, no scrape error', async () => {
    const target = await waitFor(p(), 'a successful scrape', async () => {
      const { activeTargets } = await p().api<{ activeTargets: ActiveTarget[] }>('/api/v1/targets')
      return activeTargets.find((t) => t.health === 'up')
    })
    expect(target.scrapeUrl).toBe(`http://${(server as TestServer).hostPort}/debug/metrics`)
    expect(target.lastError).toBe('')
    expect(target.labels).toMatchObject({ job: 'fastify-pprof', instance: (server as TestServer).hostPort })
    expect(await scalar(p(), `up${selector()}`)).toBe(1)
    // Every series of a scrape made it into the TSDB.
    expect(await scalar(p(), `scrape_samples_scraped${selector()}`)).toBeGreaterThan(100)
  })

  it('stores a heap size close to this process\'s own heapUsed', async () => {
    const heap = await waitFor(p(), 'nodejs_heap_size_used_bytes', async () => (await query(p(), `nodejs_heap_size_used_bytes${selector()}`))[0])
    const value = Number(heap.value[1])
    const own = process.memoryUsage().heapUsed
    expect(value).toBeGreaterThan(1 * MB)
    expect(value).toBeLessThan(4 * GB)
    expect(Math.abs(value - own)).toBeLessThan(Math.max(16 * MB, own * 0.5))
    expect(heap.metric).toEqual({ __name__: 'nodejs_heap_size_used_bytes', job: 'fastify-pprof', instance: (server as TestServer).hostPort })
    expect(await scalar(p(), `nodejs_heap_size_total_bytes${selector()}`)).toBeGreaterThanOrEqual(value)
  })

  it('stores plausible event-loop series: delay percentiles, lag and utilization', async () => {
    const p99 = await scalar(p(), `nodejs_eventloop_lag_p99_seconds${selector()}`)
    expect(p99).toBeGreaterThanOrEqual(0)
    expect(p99).toBeLessThan(5)
    expect(await scalar(p(), `nodejs_eventloop_lag_max_seconds${selector()}`)).toBeGreaterThanOrEqual(p99)
    const lag = await scalar(p(), `nodejs_eventloop_lag_seconds${selector()}`)
    expect(lag).toBeGreaterThanOrEqual(0)
    expect(lag).toBeLessThan(5)
    const elu = await scalar(p(), `nodejs_eventloop_utilization_ratio${selector()}`)
    expect(elu).toBeGreaterThanOrEqual(0)
    expect(elu).toBeLessThanOrEqual(1)
  })

  it('PromQL works on the counters and the GC histogram across scrapes', async () => {
    // rate() needs at least two samples in the window.
    await waitFor(p(), 'three scrapes', async () => (await scalar(p(), `count_over_time(up${selector()}[30s])`)) >= 3 ? true : undefined)
    const cpu = await scalar(p(), `rate(process_cpu_seconds_total${selector()}[30s])`)
    expect(cpu).toBeGreaterThan(0)
    // One JavaScript thread plus libuv and V8 helpers: a few cores at most.
    expect(cpu).toBeLessThan(8)
    const kinds = await query(p(), `nodejs_gc_duration_seconds_count${selector()}`)
    expect(kinds.map((s) => s.metric.kind).sort()).toEqual(['incremental', 'major', 'minor', 'weakcb'])
    const buckets = await query(p(), `sum by (le) (nodejs_gc_duration_seconds_bucket${selector()})`)
    expect(buckets.map((s) => s.metric.le).sort()).toEqual(['+Inf', '0.001', '0.01', '0.1', '1', '2', '5'].sort())
    const start = await scalar(p(), `process_start_time_seconds${selector()}`)
    expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2)
  })

  it('promtool lints the exposition: only prom-client\'s own "_total" gauges, kept for dashboards, are flagged', async () => {
    const res = await fetch(`${(server as TestServer).url}/debug/metrics`, {
      headers: { authorization: 'Basic ' + Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64') }
    })
    expect(res.status).toBe(200)
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: await res.text(), encoding: 'utf8', timeout: 30_000 })
    const problems = (lint.stdout + lint.stderr).split('\n').filter((l) => l.trim() !== '').sort()
    expect(problems).toEqual([
      'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
      'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
      'nodejs_active_resources_total non-counter metrics should not have "_total" suffix'
    ])
  })
})
