// One deep-mode measurement in a process of its own (forked by retainers-cost.js):
// fills a dense heap of <mib> MiB (small objects: an object, two strings, a
// two-element array and a nested object per entry, the densest case of
// docs/leak-watch.md's table), then calls /debug/leaks/retainers <reps> times
// with the heap grown by 2 % in between. Each call reports the plugin's own
// estimate (nodes, stall, extra memory) beside what happened: nodes in the
// snapshot, the event loop's stall, and the process's peak RSS above where it
// stood (Linux: VmHWM, reset through /proc/self/clear_refs before each call).
//
//   node bench/retainers-arm.js <mib> <reps>
import { readFileSync, writeFileSync } from 'node:fs'
import Fastify from 'fastify'
import fastifyPprof from 'fastify-pprof'

const [mib, reps] = process.argv.slice(2).map(Number)
const kept = new Map()
let n = 0
function fill (bytes) {
  const target = process.memoryUsage().heapUsed + bytes
  while (process.memoryUsage().heapUsed < target) {
    for (let i = 0; i < 10_000; i++, n++) kept.set(n, { name: `entry-${n}`, tag: `t${n % 977}x${n}`, pair: [n, n + 1], inner: { at: n } })
  }
}

const status = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) * 1024

fill(mib * 1024 * 1024 - process.memoryUsage().heapUsed)
const app = Fastify({ logger: false })
await app.register(fastifyPprof, { leakWatch: false, retainers: { maxStallSeconds: 3600, maxExtraMemoryMB: 1_000_000 } })
await app.ready()
const calls = []
for (let r = 0; r < reps; r++) {
  if (r > 0) fill(mib * 1024 * 1024 * 0.02)
  globalThis.gc?.()
  try { writeFileSync('/proc/self/clear_refs', '5') } catch {}
  const rssBefore = status('VmRSS')
  const heapUsed = process.memoryUsage().heapUsed
  const res = await app.inject('/debug/leaks/retainers')
  if (res.statusCode !== 200) throw new Error(`${res.statusCode}: ${res.payload}`)
  const a = res.json()
  calls.push({
    heapUsed,
    nodes: a.nodes.total,
    newNodes: a.nodes.new,
    stallMs: a.snapshot.stallMs,
    parseMs: a.snapshot.parseMs,
    analyzeMs: a.snapshot.analyzeMs,
    estimate: a.snapshot.estimate,
    peakExtraBytes: status('VmHWM') - rssBefore,
    topPath: a.clusters[0]?.path
  })
}
await app.close()
process.send({ mib, calls })
