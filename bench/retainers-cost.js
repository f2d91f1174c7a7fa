// Deep mode's cost (/debug/leaks/retainers) against its own estimate: the
// event loop's stall and the extra memory per heap node, measured on a dense
// heap of each size, printed beside what the plugin estimated before the call
// (the first call from an assumed 35 B of heap a node, the later ones from the
// process's own previous snapshot).
//
//   node bench/retainers-cost.js [--retainers-mib=30] [--retainers-reps=3]
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runChild } from './lib/child.js'
import { pluginAvailable } from './lib/plugin-available.js'
import { cell, fmt, markdownTable, median } from './lib/stats.js'

const here = dirname(fileURLToPath(import.meta.url))

export function parseRetainersArgs (argv) {
  const get = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]
  return { mibs: (get('retainers-mib') ?? '30').split(',').map(Number), reps: Number(get('retainers-reps') ?? 3) }
}

export async function runRetainersCost ({ mibs = [30], reps = 3, log = console.error } = {}) {
  if (!pluginAvailable()) {
    log('retainers: skipped (dist/index.js not built; run npm run build)')
    return { cases: [] }
  }
  const cases = []
  for (const mib of mibs) {
    const t0 = Date.now()
    cases.push(await runChild(join(here, 'retainers-arm.js'), [String(mib), String(reps)], { execArgv: ['--expose-gc', '--max-old-space-size=8192'] }))
    log(`retainers: ${mib} MiB done in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
  return { cases }
}

export function retainersRows ({ cases }) {
  const rows = []
  for (const c of cases) {
    const calls = c.calls
    const label = `deep mode, ${c.mib} MiB dense heap, ${fmt(median(calls.map((x) => x.nodes)), 0)} nodes`
    const add = (figure, value, target = '') => rows.push([label, figure, value, target])
    const us = calls.map((x) => x.stallMs * 1000 / x.nodes)
    const estUs = calls.map((x) => x.estimate.stallMs * 1000 / x.nodes)
    const bytes = calls.map((x) => x.peakExtraBytes / x.nodes)
    const estBytes = calls.map((x) => x.estimate.extraBytes / x.nodes)
    add('stall per heap node, µs: measured / estimated (ratio)', calls.map((x, i) => `${fmt(us[i], 2)} / ${fmt(estUs[i], 2)} (${fmt(us[i] / estUs[i], 2)})`).join('; '), 'ratio ≤ 1: the estimate errs high')
    add('extra peak RSS per heap node, B: measured / estimated (ratio)', calls.map((x, i) => `${fmt(bytes[i], 0)} / ${fmt(estBytes[i], 0)} (${fmt(bytes[i] / estBytes[i], 2)})`).join('; '), 'ratio ≤ 1')
    add('estimated / real node count', calls.map((x) => `${fmt(x.estimate.nodes / x.nodes, 2)} (${x.estimate.basis})`).join('; '))
    add('stall ms; worker parse + analysis ms', cell(calls.map((x) => x.stallMs), 0) + '; ' + cell(calls.map((x) => x.parseMs + x.analyzeMs), 0))
    add('top cluster (from the 2nd call)', calls[1]?.topPath ?? 'n/a')
  }
  return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const data = await runRetainersCost(parseRetainersArgs(process.argv.slice(2)))
  console.log(markdownTable(['case', 'figure', 'value', 'target'], retainersRows(data)))
}
