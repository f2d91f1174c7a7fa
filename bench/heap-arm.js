// One arm of the heap-stall suite, run in its own process (V8 has one sampling
// heap profiler per isolate, so npm pprof and @datadog/pprof cannot share one).
//
//   node --max-old-space-size=8192 --expose-gc bench/heap-arm.js <arm> <sitesFile> <MiB> <reps>
//
// arm: floor | pprof | datadog | plugin | plugin-phases. The process starts the heap sampler
// (512 KiB, depth 64; for `plugin` by registering the plugin), fills the heap
// with the generated workload, runs a full GC, then measures once (the first
// run, reported apart) and `reps` more times.
// The result is sent to the parent over IPC (or printed as JSON without one).
import { gunzipSync } from 'node:zlib'
import { getHeapStatistics } from 'node:v8'
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { measureStall, stopStallMeters } from './lib/stall.js'

const INTERVAL_BYTES = 512 * 1024
const STACK_DEPTH = 64

const [arm, sitesFile, mibArg, repsArg] = process.argv.slice(2)
const mib = Number(mibArg)
const reps = Number(repsArg ?? 3)
let internals

function countNodes (root) {
  let n = 0
  const stack = [root]
  while (stack.length) {
    const node = stack.pop()
    n++
    for (const c of node.children) stack.push(c)
  }
  return n
}

async function decodeSummary (gz) {
  const { Profile } = await import('pprof-format')
  const p = Profile.decode(gunzipSync(gz))
  return { samples: p.sample.length, locations: p.location.length, functions: p.function.length, rawBytes: gunzipSync(gz).length }
}

async function main () {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc')
  const pprof = (await import('pprof')).default
  let lib = pprof
  let app
  if (arm === 'plugin' || arm === 'plugin-phases') {
    const { default: Fastify } = await import('fastify')
    const { default: fastifyPprof } = await import('fastify-pprof')
    app = Fastify({ logger: false })
    await app.register(fastifyPprof, { heapIntervalBytes: INTERVAL_BYTES })
    await app.ready() // the plugin starts the heap sampler at registration
  } else if (arm === 'datadog') {
    lib = (await import('@datadog/pprof')).default
    lib.heap.start(INTERVAL_BYTES, STACK_DEPTH)
  } else if (arm === 'pprof' || arm === 'floor') {
    pprof.heap.start(INTERVAL_BYTES, STACK_DEPTH)
  } else {
    throw new Error(`unknown arm ${arm}`)
  }

  const workload = await import(pathToFileURL(sitesFile).href)
  const f0 = performance.now()
  const calls = workload.fill(mib)
  const fillMs = performance.now() - f0
  globalThis.gc()
  await sleep(200)
  const heapUsedMiB = getHeapStatistics().used_heap_size / 2 ** 20

  const ops = {
    floor: () => {
      pprof.heap.v8Profile()
      return {}
    },
    pprof: async () => {
      const t0 = performance.now()
      const profile = pprof.heap.profile()
      const t1 = performance.now()
      const pending = pprof.encode(profile)
      const t2 = performance.now()
      const gz = await pending
      return { profileMs: t1 - t0, encodeSyncMs: t2 - t1, gz }
    },
    datadog: async () => {
      const t0 = performance.now()
      const profile = lib.heap.profile()
      const t1 = performance.now()
      const pending = lib.encode(profile)
      const t2 = performance.now()
      const gz = await pending
      return { profileMs: t1 - t0, encodeSyncMs: t2 - t1, gz }
    },
    'plugin-phases': async () => {
      // Diagnostic: the plugin's /heap pipeline, phase by phase, through dist internals
      // (imported by file path; the package exports only its entry point).
      const phases = {}
      const timed = async (name, fn) => {
        const m = await measureStall(fn)
        phases[`${name}Ms`] = m.totalMs
        phases[`${name}StallMs`] = m.eldMaxMs
        phases[`${name}GcMs`] = m.gcMs
        return m.value
      }
      await timed('v8Profile', () => { pprof.heap.v8Profile() })
      const frames = new internals.FrameTable()
      const stacks = await timed('collect', () => internals.collectHeapStacks(frames, new internals.Slicer()))
      const raw = await timed('build', () => internals.buildProfile(internals.heapShape(INTERVAL_BYTES), frames, stacks.values(), { timeNanos: Date.now() * 1e6 }, new internals.Slicer()))
      const gz = await timed('gzip', () => internals.gzipProfile(raw))
      return { ...phases, stacks: stacks.size, frames: frames.frames.length, gz }
    },
    plugin: async () => {
      // As a stream: otherwise inject also turns the gzip body into a string,
      // a cost (~20 ms and garbage at 2 GiB) no real client puts on the server.
      const res = await app.inject({ method: 'GET', url: '/debug/heap', payloadAsStream: true })
      const chunks = []
      for await (const chunk of res.stream()) chunks.push(chunk)
      const body = Buffer.concat(chunks)
      if (res.statusCode !== 200) throw new Error(`/debug/heap answered ${res.statusCode}: ${body.toString().slice(0, 200)}`)
      return { gz: body }
    },
  }

  if (arm === 'plugin-phases') {
    const dist = new URL('../dist/', import.meta.url)
    const load = async (file) => import(new URL(file, dist).href)
    internals = {
      ...await load('profiler/heap.js'),
      ...await load('pprof/frames.js'),
      ...await load('pprof/builder.js'),
      ...await load('pprof/encode.js'),
      ...await load('pprof/shapes.js'),
      ...await load('cooperative.js'),
    }
  }
  // The first run pays for compiling the conversion code (every arm has
  // some): kept apart, so the medians describe a process that has profiled before.
  const firstRun = await measureStall(ops[arm])
  const first = { totalMs: firstRun.totalMs, eldMaxMs: firstRun.eldMaxMs }
  const runs = []
  const inProcessFloor = []
  let lastGz
  for (let i = 0; i < reps; i++) {
    const m = await measureStall(ops[arm])
    const { gz, ...phases } = m.value ?? {}
    if (gz) lastGz = gz
    runs.push({ ...m, value: undefined, bytes: gz?.length, ...phases })
    if (arm === 'plugin' || arm === 'plugin-phases') {
      // Same-heap floor, interleaved with the plugin's measurements.
      const f = await measureStall(ops.floor)
      inProcessFloor.push({ totalMs: f.totalMs, eldMaxMs: f.eldMaxMs, watchdogMaxMs: f.watchdogMaxMs })
    }
  }

  const nodes = countNodes(lib.heap.v8Profile())
  const summary = lastGz ? await decodeSummary(lastGz) : {}
  if (app) await app.close()
  stopStallMeters()
  return { arm, mib, heapUsedMiB, fillMs, calls, nodes, ...summary, first, runs, inProcessFloor }
}

main().then((result) => {
  if (process.send) process.send(result, () => process.exit(0))
  else {
    console.log(JSON.stringify(result, null, 2))
    process.exit(0)
  }
}, (err) => {
  console.error(err)
  process.exit(1)
})
