// Runs the bench suites and prints one markdown table with every figure and ratio.
//
//   npm run bench                     # = npm run build && node bench/run.js
//   node bench/run.js --quick         # 500 MiB heap case only, shorter throughput run
//   node bench/run.js --only=heap     # or --only=throughput, --only=stats, --only=retainers, --only=census, --only=verdict, --only=stalls
// Other flags are passed to the suites (see heap-stall.js and throughput.js).
// Raw results are written to bench/results/ (gitignored).
import os from 'node:os'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { runHeapStall, heapRows, parseHeapArgs, saveResult } from './heap-stall.js'
import { runThroughput, throughputRows, parseThroughputArgs } from './throughput.js'
import { runStatsCost, statsRows, parseStatsArgs } from './stats-cost.js'
import { runRetainersCost, retainersRows, parseRetainersArgs } from './retainers-cost.js'
import { runCensusCost, censusRows, parseCensusArgs } from './census-cost.js'
import { runVerdictTime, verdictRows, parseVerdictArgs } from './verdict-time.js'
import { runStallCost, stallRows, parseStallArgs } from './stall-cost.js'
import { markdownTable } from './lib/stats.js'

const argv = process.argv.slice(2)
const only = argv.find((a) => a.startsWith('--only='))?.split('=')[1]
const require = createRequire(import.meta.url)
const version = (name) => {
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version
  } catch {
    return '?'
  }
}
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ')
let commit = '?'
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
} catch {}

const started = new Date()
const loadBefore = loadavg()
const data = {}
if (only === undefined || only === 'heap') data.heap = await runHeapStall(parseHeapArgs(argv))
if (only === undefined || only === 'throughput') data.throughput = await runThroughput(parseThroughputArgs(argv))
if (only === undefined || only === 'stats') data.stats = await runStatsCost(parseStatsArgs(argv))
if (only === undefined || only === 'retainers') data.retainers = await runRetainersCost(parseRetainersArgs(argv))
if (only === undefined || only === 'census') data.census = await runCensusCost(parseCensusArgs(argv))
if (only === undefined || only === 'verdict') data.verdict = await runVerdictTime(parseVerdictArgs(argv))
if (only === undefined || only === 'stalls') data.stalls = await runStallCost(parseStallArgs(argv))
const minutes = ((Date.now() - started) / 60e3).toFixed(1)

const cpus = os.cpus()
const machine = [
  `node ${process.version}`,
  `${cpus.length} × ${cpus[0]?.model.trim() ?? '?'}`,
  `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
  `load avg ${loadBefore} → ${loadavg()}`,
  `fastify ${version('fastify')}, pprof ${version('pprof')}, @datadog/pprof ${version('@datadog/pprof')}, pprof-format ${version('pprof-format')}`,
  `commit ${commit}`,
  `${started.toISOString()}, ${minutes} min${argv.includes('--quick') ? ', --quick' : ''}`,
]
data.machine = machine
console.error(`saved ${saveResult('bench', data)}`)

const rows = [['machine', 'environment', machine.join('; '), '']]
if (data.heap) rows.push(...heapRows(data.heap))
if (data.stats) rows.push(...statsRows(data.stats))
if (data.retainers) rows.push(...retainersRows(data.retainers))
if (data.census) rows.push(...censusRows(data.census))
if (data.verdict) rows.push(...verdictRows(data.verdict))
if (data.throughput) rows.push(...throughputRows(data.throughput))
if (data.stalls) rows.push(...stallRows(data.stalls))
console.log(markdownTable(['case', 'figure', 'median (min–max)', 'target'], rows))
