// Runs a real Prometheus server (Debian `prometheus` 2.42) on loopback, scraping one target, for interop tests.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { requireTool } from './require-tool.js'

/**
 * Gate for Prometheus suites: `describe.skipIf(!requirePrometheus())(...)`.
 * Without `prometheus` and `promtool` on PATH: under CI (CI=true) it throws, so the test file fails;
 * locally it warns loudly and returns false, so the suite shows as skipped.
 */
export function requirePrometheus (): boolean {
  return requireTool('prometheus', 'apt-get install prometheus') && requireTool('promtool', 'apt-get install prometheus')
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

export interface ScrapeTarget {
  /** `127.0.0.1:PORT` */
  hostPort: string
  metricsPath: string
  basicAuth?: { username: string, password: string }
}

export interface PrometheusServer {
  /** `http://127.0.0.1:PORT` of Prometheus itself */
  url: string
  job: string
  /** GET an API path (`/api/v1/...`) and return `data`; throws on a non-success answer. */
  api: <T = unknown>(path: string) => Promise<T>
  /** Everything Prometheus logged, for failure messages. */
  log: () => string
  /** Kills Prometheus (SIGTERM, then SIGKILL) and removes its directory. Safe to call twice. */
  stop: () => Promise<void>
}

const yamlString = (s: string): string => JSON.stringify(s)

function config (job: string, target: ScrapeTarget): string {
  const auth = target.basicAuth === undefined
    ? ''
    : `    basic_auth:\n      username: ${yamlString(target.basicAuth.username)}\n      password: ${yamlString(target.basicAuth.password)}\n`
  return [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    `  - job_name: ${yamlString(job)}`,
    `    metrics_path: ${yamlString(target.metricsPath)}`,
    auth + '    static_configs:',
    `      - targets: [${yamlString(target.hostPort)}]`,
    ''
  ].join('\n')
}

const running = new Set<ChildProcess>()
// Last resort if the test process dies without afterAll: no Prometheus outlives it.
process.once('exit', () => { for (const child of running) child.kill('SIGKILL') })

async function waitForExit (child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true
  return await Promise.race([
    new Promise<boolean>((resolve) => child.once('exit', () => resolve(true))),
    sleep(ms).then(() => false)
  ])
}

/** Starts Prometheus on 127.0.0.1 with a temporary config and TSDB, and waits (bounded) until it is ready. */
export async function startPrometheus (target: ScrapeTarget, job = 'fastify-pprof', readyTimeoutMs = 30_000): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'fastify-pprof-prometheus-'))
  let output = ''
  let child: ChildProcess | undefined
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    if (child !== undefined) {
      child.kill('SIGTERM')
      if (!await waitForExit(child, 5000)) {
        child.kill('SIGKILL')
        await waitForExit(child, 5000)
      }
      running.delete(child)
    }
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const configFile = join(dir, 'prometheus.yml')
    await writeFile(configFile, config(job, target))
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const proc = spawn('prometheus', [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn'
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    child = proc
    running.add(proc)
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
    const deadline = Date.now() + readyTimeoutMs
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`prometheus exited (${String(proc.exitCode ?? proc.signalCode)}):\n${output}`)
      const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)
      if (ready) break
      if (Date.now() > deadline) throw new Error(`prometheus not ready within ${readyTimeoutMs} ms:\n${output}`)
      await sleep(100)
    }
    const api = async <T>(path: string): Promise<T> => {
      const res = await fetch(url + path)
      const body = await res.json() as { status: string, data: T, error?: string }
      if (body.status !== 'success') throw new Error(`${path}: ${res.status} ${body.error ?? ''}`)
      return body.data
    }
    return { url, job, api, log: () => output, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

export interface VectorSample {
  metric: Record<string, string>
  value: [number, string]
}

/** Instant query; the result vector. */
export async function query (prom: PrometheusServer, promql: string): Promise<VectorSample[]> {
  const data = await prom.api<{ resultType: string, result: VectorSample[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`)
  if (data.resultType !== 'vector') throw new Error(`${promql}: ${data.resultType}, not a vector`)
  return data.result
}

export interface ActiveTarget {
  labels: Record<string, string>
  health: 'up' | 'down' | 'unknown'
  lastError: string
  lastScrape: string
  scrapeUrl: string
}

/** Polls until `check` returns a value other than undefined; throws with Prometheus' log after `timeoutMs`. */
export async function waitFor<T> (prom: PrometheusServer, what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : ` (last error: ${String(last)})`}\n--- prometheus log\n${prom.log()}`)
    }
    await sleep(200)
  }
}
