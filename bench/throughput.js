// Throughput suite: hello-world GET /plain with the plugin registered or not, the
// heap sampler on or off, and during a CPU profile at the default rate.
//
//   node bench/throughput.js [--quick] [--reps=N] [--seconds=S] [--conns=50] [--no-pin]
//
// One server process per arm (bench/throughput-server.js), all started up front and
// idle except while loaded; a closed-loop keep-alive load generator (bench/loadgen.js)
// in its own process. By default the servers are pinned to cpu 0 and the generator
// to cpu 1 (taskset), as in the baseline's wrk runs. Arms are interleaved: every
// repetition runs each arm once, in an order rotated per repetition, and each arm's
// req/s is divided by the `bare` arm's of the same repetition; cells are the medians
// (min–max) of those per-repetition ratios. Server CPU µs per request (process.cpuUsage
// over the window) is reported alongside, because req/s on this VM swings by ±25 %.
//
// Arms (see throughput-server.js):
//   bare, sampler, plugin, plugin-nosampler, and plugin+cpu: the `plugin` process
//   while GET /debug/profile?seconds=S+1 runs (it starts 250 ms before the load
//   window and ends after it; the suite waits for the profile before moving on).
// Then bench/inject-cost.js measures the same comparisons in-process with inject()
// (µs per request, per-round differences), which this VM can resolve.
import http from 'node:http'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { pluginAvailable } from './lib/plugin-available.js'
import { forkServer, runChild } from './lib/child.js'
import { median, cell, fmt, markdownTable } from './lib/stats.js'

const here = dirname(fileURLToPath(import.meta.url))

export function parseThroughputArgs (argv) {
  const get = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]
  const quick = argv.includes('--quick')
  return {
    quick,
    reps: Number(get('reps') ?? (quick ? 3 : 7)),
    seconds: Number(get('seconds') ?? (quick ? 1.5 : 3)),
    conns: Number(get('conns') ?? 50),
    injectRounds: Number(get('inject-rounds') ?? (quick ? 15 : 31)),
    pin: !argv.includes('--no-pin') && existsSync('/usr/bin/taskset'),
  }
}

function startChild (script, args) {
  return forkServer(join(here, script), args)
}

function httpGet (port, path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let bytes = 0
      res.on('data', (c) => { bytes += c.length })
      res.on('end', () => resolve({ status: res.statusCode, bytes }))
    }).on('error', reject)
  })
}

export async function runThroughput ({ reps = 7, seconds = 3, conns = 50, pin = true, injectRounds = 31, log = console.error } = {}) {
  if (!pluginAvailable()) {
    log('throughput: skipped (dist/index.js not built; run npm run build)')
    return null
  }
  const serverArms = ['bare', 'sampler', 'plugin', 'plugin-nosampler']
  const servers = {}
  for (const arm of serverArms) {
    servers[arm] = startChild('throughput-server.js', pin ? [arm, '0'] : [arm])
    servers[arm].port = (await servers[arm].ready).port
  }
  const gen = startChild('loadgen.js', pin ? ['1'] : [])
  await gen.ready
  const arms = [...serverArms, 'plugin+cpu']
  const profileSeconds = Math.ceil(seconds + 1)

  async function window (arm, durationMs) {
    const server = servers[arm === 'plugin+cpu' ? 'plugin' : arm]
    let profile
    if (arm === 'plugin+cpu') {
      profile = httpGet(server.port, `/debug/profile?seconds=${profileSeconds}`)
      await sleep(250)
    }
    const u0 = await server.ask({ cmd: 'usage' })
    const load = await gen.ask({ cmd: 'run', port: server.port, path: '/plain', conns, durationMs })
    const u1 = await server.ask({ cmd: 'usage' })
    if (profile) {
      const p = await profile
      if (p.status !== 200) throw new Error(`/debug/profile answered ${p.status}`)
      load.profileBytes = p.bytes
    }
    const cpuUs = (u1.cpu.user - u0.cpu.user) + (u1.cpu.system - u0.cpu.system)
    load.serverCpuUsPerReq = cpuUs / load.requests
    return load
  }

  log(`throughput: warm-up, ${pin ? 'servers pinned to cpu0, generator to cpu1' : 'unpinned'}`)
  for (const arm of serverArms) await window(arm, 1000)

  const runs = []
  for (let r = 0; r < reps; r++) {
    const order = arms.map((_, i) => arms[(i + r) % arms.length])
    const rep = {}
    for (const arm of order) rep[arm] = await window(arm, seconds * 1000)
    runs.push(rep)
    log(`throughput: rep ${r + 1}/${reps}: ` + arms.map((a) => `${a} ${fmt(rep[a].rps, 0)}`).join(', '))
  }

  for (const s of Object.values(servers)) s.child.send({ cmd: 'close' })
  gen.child.send({ cmd: 'close' })
  log(`throughput: in-process inject() cost, ${injectRounds} rounds × 1000 requests per arm`)
  const inject = await runChild(join(here, 'inject-cost.js'), [String(injectRounds), '1000'])
  return { reps, seconds, conns, pin, runs, inject }
}

export function throughputRows (data) {
  if (!data) return [['throughput', 'skipped: plugin not built', 'n/a', '']]
  const { runs, seconds, conns, pin } = data
  const label = `GET /plain, ${conns} conns, ${runs.length} reps × ${seconds} s, ${pin ? 'pinned' : 'unpinned'}`
  const rows = []
  const add = (figure, value, target = '') => rows.push([label, figure, value, target])
  const arms = Object.keys(runs[0])
  for (const arm of arms) {
    add(`${arm}: req/s (p99 ms; µs CPU/req server, generator)`,
      `${cell(runs.map((r) => r[arm].rps), 0)} (${fmt(median(runs.map((r) => r[arm].p99Ms)), 1)}; ` +
      `${fmt(median(runs.map((r) => r[arm].serverCpuUsPerReq)), 1)}, ${fmt(median(runs.map((r) => r[arm].cpuMs * 1000 / r[arm].requests)), 1)})`)
  }
  const ratio = (a, b, key = 'rps') => runs.map((r) => r[a][key] / r[b][key])
  const pairs = [
    ['plugin', 'bare', 'plugin registered + sampler on vs no plugin', '≈ 1 (±10 % is noise)'],
    ['plugin-nosampler', 'bare', 'plugin registered, sampler stopped vs no plugin', '≈ 1'],
    ['sampler', 'bare', 'heap sampler alone vs off', '≈ 1'],
    ['plugin', 'plugin-nosampler', 'sampler on vs off (both with plugin)', '≈ 1'],
    ['plugin+cpu', 'plugin', 'during /debug/profile (100 Hz) vs not', '≈ 1'],
  ]
  for (const [a, b, what, target] of pairs) {
    add(`ratio req/s ${a} / ${b} (${what})`, cell(ratio(a, b), 3), target)
    add(`ratio CPU/req ${a} / ${b}`, cell(ratio(a, b, 'serverCpuUsPerReq'), 3))
  }
  const inj = data.inject
  if (inj) {
    const ilabel = `inject() GET /plain in-process, ${inj.runs.length} rounds × ${inj.count}`
    const iadd = (figure, value, target = '') => rows.push([ilabel, figure, value, target])
    for (const arm of ['bare:off', 'bare:on', 'plugin:off', 'plugin:on']) {
      iadd(`${arm.replace(':', ', sampler ')}: µs/request`, cell(inj.runs.map((r) => r[arm])))
    }
    const diff = (a, b) => inj.runs.map((r) => r[a] - r[b])
    const pct = (a, b) => `${cell(diff(a, b), 2)} µs (${fmt(100 * median(diff(a, b)) / median(inj.runs.map((r) => r[b])), 1)} %)`
    iadd('plugin − bare, sampler on (registration cost per request)', pct('plugin:on', 'bare:on'), '≈ 0.1 µs (one hook); noise ± few µs')
    iadd('plugin − bare, sampler off', pct('plugin:off', 'bare:off'))
    iadd('sampler on − off, with plugin', pct('plugin:on', 'plugin:off'))
    iadd('sampler on − off, bare app', pct('bare:on', 'bare:off'))
  }
  return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { saveResult } = await import('./heap-stall.js')
  const data = await runThroughput(parseThroughputArgs(process.argv.slice(2)))
  if (data) console.error(`saved ${saveResult('throughput', data)}`)
  console.log(markdownTable(['case', 'figure', 'median (min–max)', 'target'], throughputRows(data)))
}
