// Seconds and captures to the leak watch's verdict on apps WITHOUT artificial GC pressure (issue 19, item 1):
// the fixture apps (test/fixtures/leaks/app.mjs, origins.mjs) with LEAK_NO_PRESSURE=1 (no kept Buffers, no V8
// flags), plain HTTP traffic against each (keep-alive GETs of /), the watch at intervalMs 2000 and keep 24 (as
// the issue measured; the 5-minute default scales every figure by 150). Per leak app: seconds, captures and
// post-GC captures to the first `growing`, the first suspect then, and how often the verdict left `growing`
// afterwards (flaps); per twin: captures and post-GC captures seen by the cap, and whether it ever said `growing`.
// All apps run side by side (one process each), each until its verdict or the cap.
//
//   node bench/verdict-time.js [--verdict-cap=180] [--verdict-apps=map-by-request,churn,...] [--verdict-interval=2000]
import http from 'node:http'
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pluginAvailable } from './lib/plugin-available.js'

const here = dirname(fileURLToPath(import.meta.url))
const FIXTURES = join(here, '..', 'test', 'fixtures', 'leaks')

/** name: [fixture, pattern, leak?, the function the leak's first suspect should be (null: any of Node's)]. */
export const VERDICT_APPS = {
  'map-by-request': ['app.mjs', 'map-by-request', true, 'rememberRequestForLeakTest'],
  listeners: ['app.mjs', 'listeners', true, 'addListenerForLeakTest'],
  'interval-closure': ['app.mjs', 'interval-closure', true, 'startSessionTimerForLeakTest'],
  'unbounded-cache': ['app.mjs', 'unbounded-cache', true, 'cacheResponseForLeakTest'],
  'parser-requests': ['origins.mjs', 'parser-requests', true, null],
  churn: ['app.mjs', 'churn', false],
  'warm-cache': ['app.mjs', 'warm-cache', false],
  steady: ['app.mjs', 'steady', false]
}

export function parseVerdictArgs (argv) {
  const get = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]
  return {
    capSeconds: Number(get('verdict-cap') ?? 180),
    apps: (get('verdict-apps') ?? Object.keys(VERDICT_APPS).join(',')).split(','),
    intervalMs: Number(get('verdict-interval') ?? 2000)
  }
}

function startApp (fixture, pattern, intervalMs) {
  const env = { ...process.env, LEAK_NO_PRESSURE: '1', LEAK_INTERVAL_MS: String(intervalMs), LEAK_KEEP: '24' }
  const child = spawn(process.execPath, [join(FIXTURES, fixture), pattern], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { out += d })
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      const port = /\{"port":(\d+)\}/.exec(out)?.[1]
      if (port !== undefined) {
        clearInterval(poll)
        resolve({ child, port: Number(port), output: () => out })
      } else if (child.exitCode !== null) {
        clearInterval(poll)
        reject(new Error(`${fixture} ${pattern} exited: ${out}`))
      }
    }, 50)
  })
}

function get (agent, port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => { body += d })
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function measure (name, [fixture, pattern, leak, expected], { capSeconds, intervalMs }, log) {
  const app = await startApp(fixture, pattern, intervalMs)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 })
  const started = Date.now()
  const deadline = started + capSeconds * 1000
  const state = { stopped: false }
  let requests = 0
  // Plain traffic: four keep-alive loops, a GET of / each, a few ms apart.
  const loops = Array.from({ length: 4 }, async () => {
    while (!state.stopped) {
      try {
        await get(agent, app.port, '/')
        requests++
      } catch {}
      await sleep(5)
    }
  })
  const result = { name, leak, expected: expected ?? null, seconds: null, captures: null, postGcCaptures: null, suspect: null, origin: null, flaps: 0, everGrowing: false, lastCaptures: 0, lastPostGc: 0, requests: 0, suspectSeconds: null, suspectCaptures: null, suspectPostGc: null, firstSuspect: null }
  let last = ''
  try {
    while (Date.now() < deadline) {
      await sleep(1000)
      let report
      try {
        report = JSON.parse(await get(undefined, app.port, '/debug/leaks'))
      } catch { continue }
      result.lastCaptures = report.captures
      result.lastPostGc = report.postGcCaptures
      if (report.verdict === 'growing' && !result.everGrowing) {
        result.everGrowing = true
        result.seconds = (Date.now() - started) / 1000
        result.captures = report.captures
        result.postGcCaptures = report.postGcCaptures
        result.suspect = report.suspects[0]?.function ?? (report.holders?.[0] ? `holder ${report.holders[0].path}` : null)
        result.origin = report.suspects[0]?.origin ?? null
      }
      // The heap captures' own verdict (a suspect named), apart from the census's holders.
      if (report.suspects.length > 0 && result.suspectSeconds === null) {
        result.suspectSeconds = (Date.now() - started) / 1000
        result.suspectCaptures = report.captures
        result.suspectPostGc = report.postGcCaptures
        result.firstSuspect = `${report.suspects[0].function} (${report.suspects[0].origin})`
        if (leak) result.watchUntil = Math.min(deadline, Date.now() + 60_000)
      }
      if (last === 'growing' && report.verdict !== 'growing') result.flaps++
      last = report.verdict
      // A leak is watched until a suspect is named, then a minute longer (within the cap) for flaps.
      if (result.watchUntil !== undefined && Date.now() >= result.watchUntil) break
    }
  } finally {
    state.stopped = true
    await Promise.all(loops)
    agent.destroy()
    app.child.kill('SIGTERM')
  }
  result.requests = requests
  delete result.watchUntil
  log(`verdict: ${name}: ${result.everGrowing ? `growing after ${result.seconds.toFixed(0)} s, ${result.postGcCaptures} post-GC of ${result.captures} captures, first ${result.suspect}` : `no growing in ${capSeconds} s, ${result.lastPostGc} post-GC of ${result.lastCaptures} captures`}; ${result.suspectSeconds === null ? 'no suspect' : `a suspect after ${result.suspectSeconds.toFixed(0)} s, ${result.suspectPostGc} post-GC of ${result.suspectCaptures}: ${result.firstSuspect}`}; ${result.flaps} flaps`)
  return result
}

export async function runVerdictTime ({ capSeconds = 180, apps = Object.keys(VERDICT_APPS), intervalMs = 2000, log = console.error } = {}) {
  if (!pluginAvailable()) {
    log('verdict: skipped (dist/index.js not built; run npm run build)')
    return { cases: [] }
  }
  const cases = await Promise.all(apps.map((name) => measure(name, VERDICT_APPS[name], { capSeconds, intervalMs }, log)))
  return { cases, capSeconds, intervalMs }
}

export function verdictRows ({ cases, capSeconds, intervalMs }) {
  const rows = []
  for (const c of cases) {
    const label = `verdict, ${c.name} (${c.leak ? 'leak' : 'twin'}), no GC pressure, intervalMs ${intervalMs}`
    if (c.leak) {
      rows.push([label, 'seconds to the first growing', c.everGrowing ? c.seconds.toFixed(0) : `none in ${capSeconds}`, `≤ ${capSeconds}`])
      rows.push([label, 'captures (post-GC of all) then', c.everGrowing ? `${c.postGcCaptures} of ${c.captures}` : `${c.lastPostGc} of ${c.lastCaptures}`, ''])
      rows.push([label, 'named first then (suspect, or the census\'s holder)', c.everGrowing ? `${c.suspect}${c.origin ? ` (${c.origin})` : ''}` : '-', ''])
      rows.push([label, 'seconds to a suspect (heap captures alone)', c.suspectSeconds === null ? `none in ${capSeconds}` : c.suspectSeconds.toFixed(0), `≤ ${capSeconds}`])
      rows.push([label, 'captures (post-GC of all) then; first suspect', c.suspectSeconds === null ? `${c.lastPostGc} of ${c.lastCaptures}; -` : `${c.suspectPostGc} of ${c.suspectCaptures}; ${c.firstSuspect}`, c.expected ?? 'a node: site'])
      rows.push([label, 'flaps (left growing) while watched', String(c.flaps), '0'])
    } else {
      rows.push([label, `captures seen in ${capSeconds} s (post-GC of all)`, `${c.lastPostGc} of ${c.lastCaptures}`, ''])
      rows.push([label, 'ever said growing', c.everGrowing ? `yes, after ${c.seconds.toFixed(0)} s (${c.suspect}), ${c.postGcCaptures} post-GC of ${c.captures}` : 'no', 'no'])
    }
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const data = await runVerdictTime(parseVerdictArgs(process.argv.slice(2)))
  console.log(JSON.stringify(data, null, 2))
}
