// The census of collections' cost (issue 18): largest slice, CPU per census, share of one core at the
// 5-minute default and extra memory, on the demo app as it starts and with its heap filled to 500 MiB and
// 2 GiB. The census walks what the app's code reaches, not the heap: its cost must not grow with the heap.
//
//   node bench/census-cost.js [--census-mib=0,500,2048] [--census-reps=5]
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runChild } from './lib/child.js'
import { pluginAvailable } from './lib/plugin-available.js'
import { cell, fmt, markdownTable, median } from './lib/stats.js'

const here = dirname(fileURLToPath(import.meta.url))
const DEFAULT_INTERVAL_MS = 300_000

export function parseCensusArgs (argv) {
  const get = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]
  const quick = argv.includes('--quick')
  return { mibs: (get('census-mib') ?? (quick ? '0,500' : '0,500,2048')).split(',').map(Number), reps: Number(get('census-reps') ?? 5) }
}

export async function runCensusCost ({ mibs = [0, 500, 2048], reps = 5, log = console.error } = {}) {
  if (!pluginAvailable()) {
    log('census: skipped (dist/index.js not built; run npm run build)')
    return { cases: [] }
  }
  const cases = []
  for (const mib of mibs) {
    const t0 = Date.now()
    cases.push(await runChild(join(here, 'census-arm.js'), [String(mib), String(reps)], { execArgv: ['--expose-gc', '--max-old-space-size=8192'] }))
    log(`census: ${mib} MiB done in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
  return { cases }
}

export function censusRows ({ cases }) {
  const rows = []
  for (const c of cases) {
    const [first, ...rest] = c.runs
    const label = `census, demo app, heap ${c.mib === 0 ? 'as it starts' : `filled to ${c.mib} MiB`} (${fmt(first.heapUsed / 2 ** 20, 0)} MiB used)`
    const add = (figure, value, target = '') => rows.push([label, figure, value, target])
    add('objects; functions walked; protocol calls (later censuses)', `${fmt(median(rest.map((r) => r.objects)), 0)}; ${fmt(median(rest.map((r) => r.functions)), 0)}; ${fmt(median(rest.map((r) => r.protocolCalls)), 0)}`, 'the same at every heap size')
    add('script list at onReady, before serving, ms', fmt(c.scriptListMs, 1))
    add('largest slice, ms: first census / later (median, max)', `${fmt(first.maxSliceMs, 1)} / ${fmt(median(rest.map((r) => r.maxSliceMs)), 1)}, ${fmt(Math.max(...rest.map((r) => r.maxSliceMs)), 1)}`, '≤ 10 ms')
    add('CPU per census, ms: first / later', `${fmt(first.cpuMs, 0)} / ${cell(rest.map((r) => r.cpuMs), 0)}`)
    add('share of one core at the 5-minute default', `${fmt(100 * median(rest.map((r) => r.cpuMs)) / DEFAULT_INTERVAL_MS, 3)} %`, '< 1 %')
    add('wall time per census, ms (later)', cell(rest.map((r) => r.durationMs), 0))
    add('extra used heap during a census, MiB (later; garbage included)', cell(rest.map((r) => r.extraHeapBytes / 2 ** 20), 1))
    add('young-generation collections per census (later), their longest pause, ms', `${cell(rest.map((r) => r.scavenges), 0)}, ${fmt(Math.max(...rest.map((r) => r.maxScavengeMs)), 1)}`)
  }
  return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const data = await runCensusCost(parseCensusArgs(process.argv.slice(2)))
  console.log(markdownTable(['case', 'figure', 'value', 'target'], censusRows(data)))
}
