// What the stall watch costs: idle CPU and RSS, and hello-world throughput, with it on (the default
// settings) and off (stallWatch: false), side by side in one run.
//
//   node bench/stall-cost.js [--quick] [--stall-pairs=N] [--stall-idle=S] [--stall-rounds=N] [--stall-seconds=S] [--no-pin]
//
// Per pair, a fresh server process per arm (bench/throughput-server.js `plugin` and `plugin-nostalls`: the plugin
// registered with its defaults, once with the stall watch off), both started together (which one first alternates),
// so both meet the same moment of this shared machine:
// - idle: after a settling wait, both sit idle through the same window; CPU is process.cpuUsage() (every thread:
//   the watchdog's worker and the main thread's 50 ms heartbeat) over the child's own clock, as a share of one
//   core; RSS and the thread count (/proc/<pid>/status) are read at the window's end.
// - throughput: GET /plain under the closed-loop generator (bench/loadgen.js), the arms alternated within each
//   round (order rotated per round); each round's on/off ratio of req/s and of server CPU µs per request.
// Cells are medians (min–max) over pairs (idle) or rounds (throughput); differences are taken within a pair.
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { forkServer } from './lib/child.js'
import { pluginAvailable } from './lib/plugin-available.js'
import { cell, fmt, markdownTable, median } from './lib/stats.js'

const here = dirname(fileURLToPath(import.meta.url))
const ARMS = { off: 'plugin-nostalls', on: 'plugin' }

export function parseStallArgs (argv) {
  const get = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]
  const quick = argv.includes('--quick')
  return {
    pairs: Number(get('stall-pairs') ?? (quick ? 2 : 4)),
    settleSeconds: Number(get('stall-settle') ?? (quick ? 3 : 5)),
    idleSeconds: Number(get('stall-idle') ?? (quick ? 8 : 20)),
    rounds: Number(get('stall-rounds') ?? (quick ? 1 : 2)),
    seconds: Number(get('stall-seconds') ?? (quick ? 1.5 : 3)),
    conns: Number(get('conns') ?? 50),
    pin: !argv.includes('--no-pin') && existsSync('/usr/bin/taskset'),
    quick,
  }
}

function threads (pid) {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
  } catch {
    return NaN
  }
}

async function close (server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return
  const exited = new Promise((resolve) => server.child.once('exit', resolve))
  server.child.send({ cmd: 'close' })
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

const cpuUs = (u) => u.cpu.user + u.cpu.system

export async function runStallCost ({ pairs = 4, settleSeconds = 5, idleSeconds = 20, rounds = 2, seconds = 3, conns = 50, pin = true, log = console.error } = {}) {
  if (!pluginAvailable()) {
    log('stalls: skipped (dist/index.js not built; run npm run build)')
    return null
  }
  const loadBefore = os.loadavg()[0]
  const gen = forkServer(join(here, 'loadgen.js'), pin ? ['1'] : [])
  const live = [gen]
  const idle = []
  const load = []
  try {
    await gen.ready
    for (let p = 0; p < pairs; p++) {
      const order = p % 2 ? ['on', 'off'] : ['off', 'on']
      const servers = {}
      for (const arm of order) {
        servers[arm] = forkServer(join(here, 'throughput-server.js'), pin ? [ARMS[arm], '0'] : [ARMS[arm]])
        live.push(servers[arm])
      }
      for (const arm of order) servers[arm].port = (await servers[arm].ready).port
      await sleep(settleSeconds * 1000)

      const u0 = {}
      const u1 = {}
      for (const arm of order) u0[arm] = await servers[arm].ask({ cmd: 'usage' })
      await sleep(idleSeconds * 1000)
      for (const arm of order) u1[arm] = await servers[arm].ask({ cmd: 'usage' })
      const pair = {}
      for (const arm of order) {
        pair[arm] = {
          cpuPct: 100 * (cpuUs(u1[arm]) - cpuUs(u0[arm])) / ((u1[arm].at - u0[arm].at) * 1000),
          rssMiB: u1[arm].rss / 2 ** 20,
          threads: threads(servers[arm].child.pid),
        }
      }
      idle.push(pair)
      log(`stalls: pair ${p + 1}/${pairs} idle ${idleSeconds} s: ` +
        order.map((a) => `${a} ${fmt(pair[a].cpuPct, 3)} % of a core, ${fmt(pair[a].rssMiB, 1)} MiB RSS, ${pair[a].threads} threads`).join('; '))

      const window = async (arm, durationMs) => {
        const s = servers[arm]
        const a = await s.ask({ cmd: 'usage' })
        const r = await gen.ask({ cmd: 'run', port: s.port, path: '/plain', conns, durationMs })
        const b = await s.ask({ cmd: 'usage' })
        r.serverCpuUsPerReq = (cpuUs(b) - cpuUs(a)) / r.requests
        return r
      }
      for (const arm of order) await window(arm, 1000) // warm-up
      for (let r = 0; r < rounds; r++) {
        const round = {}
        for (const arm of (p * rounds + r) % 2 ? ['on', 'off'] : ['off', 'on']) round[arm] = await window(arm, seconds * 1000)
        load.push(round)
        log(`stalls: pair ${p + 1} round ${r + 1}: off ${fmt(round.off.rps, 0)} req/s, on ${fmt(round.on.rps, 0)} req/s, ratio ${fmt(round.on.rps / round.off.rps, 3)}`)
      }
      for (const arm of order) await close(servers[arm])
    }
  } finally {
    for (const s of live) await close(s)
  }
  return { pairs, settleSeconds, idleSeconds, rounds, seconds, conns, pin, loadavg: [loadBefore, os.loadavg()[0]], idle, load }
}

export function stallRows (data) {
  if (!data) return [['stall watch', 'skipped: plugin not built', 'n/a', '']]
  const { idle, load } = data
  const rows = []
  const ilabel = `stall watch idle, ${idle.length} pairs × ${data.idleSeconds} s after ${data.settleSeconds} s (load avg ${fmt(data.loadavg[0], 1)} → ${fmt(data.loadavg[1], 1)})`
  const of = (arm, key) => idle.map((p) => p[arm][key])
  const diff = (key) => idle.map((p) => p.on[key] - p.off[key])
  rows.push([ilabel, 'CPU, % of one core: off / on', `${cell(of('off', 'cpuPct'), 3)} / ${cell(of('on', 'cpuPct'), 3)}`, ''])
  rows.push([ilabel, 'CPU on − off, % of one core (within a pair)', cell(diff('cpuPct'), 3), '< 1 % (docs/runtime-stats.md: 0.3 to 0.4 %)'])
  rows.push([ilabel, 'RSS, MiB: off / on', `${cell(of('off', 'rssMiB'))} / ${cell(of('on', 'rssMiB'))}`, ''])
  rows.push([ilabel, 'RSS on − off, MiB (within a pair)', cell(diff('rssMiB')), 'docs/runtime-stats.md: about 5 MiB'])
  rows.push([ilabel, 'threads: off / on', `${fmt(median(of('off', 'threads')), 0)} / ${fmt(median(of('on', 'threads')), 0)}`, ''])
  const tlabel = `stall watch, GET /plain, ${data.conns} conns, ${load.length} rounds × ${data.seconds} s, ${data.pin ? 'pinned' : 'unpinned'}`
  const arm = (a) => `${cell(load.map((r) => r[a].rps), 0)} (p99 ${fmt(median(load.map((r) => r[a].p99Ms)), 1)} ms; ${fmt(median(load.map((r) => r[a].serverCpuUsPerReq)), 1)} µs CPU/req)`
  rows.push([tlabel, 'off: req/s', arm('off'), ''])
  rows.push([tlabel, 'on: req/s', arm('on'), ''])
  rows.push([tlabel, 'ratio req/s on / off', cell(load.map((r) => r.on.rps / r.off.rps), 3), '≈ 1 (±10 % is noise)'])
  rows.push([tlabel, 'ratio CPU/req on / off', cell(load.map((r) => r.on.serverCpuUsPerReq / r.off.serverCpuUsPerReq), 3), '≈ 1'])
  return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { saveResult } = await import('./heap-stall.js')
  const data = await runStallCost(parseStallArgs(process.argv.slice(2)))
  if (data) console.error(`saved ${saveResult('stalls', data)}`)
  console.log(markdownTable(['case', 'figure', 'median (min–max)', 'target'], stallRows(data)))
}
