// The census's cost in a process of its own (forked by census-cost.js): the demo app (Fastify, websockets, the
// plugin), its heap filled to <mib> MiB by the generated sites module (0: as it starts), a route whose handler
// reaches that module's retained array, then <reps> censuses one after the other. Each reports its largest slice
// (the longest it held the event loop), its CPU, its wall time, the objects and functions it walked and the
// protocol calls it made, the used heap's peak above where it stood before (sampled every turn of the loop:
// the census's extra memory, garbage included), and the young-generation collections during it (the census's
// garbage brings them on, and each is a pause inside one of its slices).
//
//   node bench/census-arm.js <mib> <reps>
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { getHeapStatistics } from 'node:v8'
import { buildDemoApp } from '../demo/app.js'
import { Census } from '../dist/census/index.js'
import { generateSites } from './gensites.js'

const [mib, reps] = process.argv.slice(2).map(Number)
const { fill, retained } = await import(generateSites(10_000, 8))
if (mib > 0) fill(mib)
const app = await buildDemoApp({})
app.get('/retained', async function retainedCount () { return { retained: retained.length } })
let scope
app.register(async (child) => { scope = child })
await app.listen({ host: '127.0.0.1', port: 0 })
const census = new Census({ intervalMs: 3_600_000, keep: 12, maxObjects: 300_000 }, { scope, server: app.server, own: [] }, console)
// As the plugin does at onReady: the script list, before anything is served.
const listed = performance.now()
census.prepare()
const scriptListMs = performance.now() - listed
let pauses = []
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) pauses.push(e.duration)
})
observer.observe({ entryTypes: ['gc'] })
const runs = []
for (let r = 0; r < reps; r++) {
  globalThis.gc?.()
  const before = getHeapStatistics().used_heap_size
  let peak = before
  let sampling = true
  const sample = () => {
    peak = Math.max(peak, getHeapStatistics().used_heap_size)
    if (sampling) setImmediate(sample)
  }
  sample()
  pauses = []
  await census.runOnce()
  sampling = false
  // GC entries are delivered on a later turn.
  await new Promise((resolve) => setTimeout(resolve, 10))
  const last = census.status().last
  runs.push({ ...last, extraHeapBytes: peak - before, heapUsed: before, scavenges: pauses.length, maxScavengeMs: Math.max(0, ...pauses) })
}
observer.disconnect()
census.stop()
await app.close()
process.send({ mib, runs, scriptListMs })
