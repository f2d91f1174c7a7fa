// Server time per call of /debug/stats, /debug/metrics and /debug/stats/history
// with 0 and with 10k open loopback sockets, and the plugin's own heap after
// 10k mixed requests. In-process (inject), so the figure is the server's work.
//
//   node bench/stats-cost.js [--sockets=10000] [--calls=300]
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import fastifyPprof from 'fastify-pprof'

const ROUTES = ['/debug/stats', '/debug/metrics', '/debug/stats/history']

export function parseStatsArgs (argv) {
  const value = (name, fallback) => Number(argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
  return { sockets: value('sockets', 10_000), calls: value('calls', 300), mixed: value('mixed', 10_000) }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]

async function timeCalls (app, url, calls) {
  const ms = []
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint()
    const res = await app.inject(url)
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6)
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`)
  }
  return { median: median(ms), p99: p99(ms), max: Math.max(...ms) }
}

async function settledHeap (app) {
  let min = Infinity
  for (let i = 0; i < 3; i++) {
    await sleep(50)
    await app.inject('/debug/heap?gc=1')
    min = Math.min(min, process.memoryUsage().heapUsed)
  }
  return min
}

/** Opens `count` sockets to the port from a child process and keeps them open. */
async function openSockets (port, count) {
  const child = fork(fileURLToPath(new URL('./lib/hold-sockets.js', import.meta.url)), [String(port), String(count)])
  const [message] = await once(child, 'message')
  if (message.error) throw new Error(message.error)
  return child
}

export async function runStatsCost ({ sockets, calls, mixed }) {
  const app = Fastify({ logger: false })
  await app.register(fastifyPprof)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const out = { sockets, calls, routes: {} }
  for (const url of ROUTES) out.routes[url] = { idle: await timeCalls(app, url, calls) }
  const holder = await openSockets(app.server.address().port, sockets)
  await sleep(500)
  // Let the background sampler re-count at least once with the sockets open.
  await sleep(5500)
  out.activeResources = (await app.inject('/debug/stats')).json().node.activeResources.total
  for (const url of ROUTES) out.routes[url].loaded = await timeCalls(app, url, calls)
  holder.kill()
  await sleep(500)

  const before = await settledHeap(app)
  const mix = ['/debug/stats', '/debug/metrics', '/debug/stats/history', '/debug/heap', '/debug/pprof/goroutine', '/debug/pprof/', '/debug/nope']
  for (let i = 0; i < mixed; i++) await app.inject(mix[i % mix.length])
  out.heapGrowthMiB = (await settledHeap(app) - before) / 2 ** 20
  out.mixed = mixed
  await app.close()
  return out
}

export function statsRows (r) {
  const rows = []
  for (const [url, v] of Object.entries(r.routes)) {
    const f = (x) => `${x.median.toFixed(2)} ms (p99 ${x.p99.toFixed(2)}, max ${x.max.toFixed(2)})`
    rows.push([`${url}, ${r.calls} calls`, 'server time per call, 0 sockets', f(v.idle), ''])
    rows.push([`${url}, ${r.calls} calls`, `server time per call, ${r.sockets} open sockets (${r.activeResources} active resources)`, f(v.loaded), 'flat'])
  }
  rows.push([`${r.mixed} mixed requests`, 'plugin heap growth after them, post-GC', `${r.heapGrowthMiB.toFixed(2)} MiB`, '≈ 0'])
  return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runStatsCost(parseStatsArgs(process.argv.slice(2)))
  for (const row of statsRows(r)) console.log(`| ${row.join(' | ')} |`)
}
