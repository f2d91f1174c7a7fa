// One arm of the heap-stall suite, run in its own process (V8 has one sampling
// heap profiler per isolate, so npm pprof and @datadog/pprof cannot share one).
//
//   node --max-old-space-size=8192 --expose-gc bench/heap-arm.js <arm> <sitesFile> <MiB> <reps>
//
// arm: floor | datadog-floor | inspector-floor | pprof | datadog | plugin | plugin-datadog |
// plugin-inspector | plugin-phases. The process starts the heap sampler (512 KiB, depth 64; for
// the plugin arms by registering the plugin, with FASTIFY_PPROF_HEAP_ENGINE set for the engine
// the arm names: pprof, @datadog/pprof or the inspector), fills the heap
// with the generated workload, runs a full GC, then measures once (the first
// run, reported apart) and `reps` more times.
// The result is sent to the parent over IPC (or printed as JSON without one).
import { Session } from 'node:inspector'
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

// Which engine reads V8's sampler in each arm.
const ENGINES = {
  floor: 'pprof',
  pprof: 'pprof',
  plugin: 'pprof',
  'plugin-phases': 'pprof',
  watch: 'pprof',
  'datadog-floor': '@datadog/pprof',
  datadog: '@datadog/pprof',
  'plugin-datadog': '@datadog/pprof',
  'inspector-floor': 'inspector',
  'plugin-inspector': 'inspector',
}

/** The inspector's read: CDP JSON of V8's sampler (which the inspector starts with its force-GC flag). */
function inspectorReader () {
  const session = new Session()
  session.connect()
  const post = (method, params = {}) => {
    let result
    let error
    session.post(method, params, (err, res) => { error = err; result = res })
    if (error) throw error
    return result
  }
  return {
    start: () => {
      post('HeapProfiler.enable')
      post('HeapProfiler.startSampling', { samplingInterval: INTERVAL_BYTES, stackDepth: STACK_DEPTH })
    },
    read: () => post('HeapProfiler.getSamplingProfile').profile,
  }
}

async function main () {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc')
  const engine = ENGINES[arm]
  if (engine === undefined) throw new Error(`unknown arm ${arm}`)
  const pprof = (await import('pprof')).default
  let lib = pprof
  let app
  // The engine's native read (or the inspector's), alone: the floor of every arm on that engine.
  let nativeRead
  if (engine === 'inspector') {
    const reader = inspectorReader()
    nativeRead = () => reader.read()
    if (arm === 'inspector-floor') reader.start()
  } else {
    if (engine === '@datadog/pprof') lib = (await import('@datadog/pprof')).default
    nativeRead = () => lib.heap.v8Profile()
  }
  if (arm.startsWith('plugin') || arm === 'watch') {
    process.env.FASTIFY_PPROF_HEAP_ENGINE = engine
    const { default: Fastify } = await import('fastify')
    const { default: fastifyPprof } = await import('fastify-pprof')
    app = Fastify({ logger: false })
    // The watch arm takes its captures itself, not on the plugin's timer.
    await app.register(fastifyPprof, { heapIntervalBytes: INTERVAL_BYTES, ...(arm === 'watch' ? { leakWatch: false } : {}) })
    await app.ready() // the plugin starts the heap sampler at registration
  } else if (engine !== 'inspector') {
    lib.heap.start(INTERVAL_BYTES, STACK_DEPTH)
  }

  const workload = await import(pathToFileURL(sitesFile).href)
  const f0 = performance.now()
  const calls = workload.fill(mib)
  const fillMs = performance.now() - f0
  globalThis.gc()
  await sleep(200)
  const heapUsedMiB = getHeapStatistics().used_heap_size / 2 ** 20

  const floor = () => {
    nativeRead()
    return {}
  }
  const ops = {
    floor,
    'datadog-floor': floor,
    'inspector-floor': floor,
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
    watch: async () => {
      // One leak watch capture: the in-use heap read and folded into the ring (what the timer does), through
      // dist internals. The ring keeps up to 25 captures, the default 2 hours at 5 minutes.
      const frames = ring.frames
      const stacks = await internals.collectHeapStacks(frames, new internals.Slicer())
      ring.add({ at: Date.now(), heapUsed: getHeapStatistics().used_heap_size, afterGc: true, frames, stacks })
      return { stacks: stacks.size }
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
    'plugin-datadog': async () => await ops.plugin(),
    'plugin-inspector': async () => await ops.plugin(),
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

  let ring
  if (arm === 'plugin-phases' || arm === 'watch') {
    const dist = new URL('../dist/', import.meta.url)
    const load = async (file) => import(new URL(file, dist).href)
    internals = {
      ...await load('profiler/heap.js'),
      ...await load('pprof/frames.js'),
      ...await load('pprof/builder.js'),
      ...await load('pprof/encode.js'),
      ...await load('pprof/shapes.js'),
      ...await load('cooperative.js'),
      ...await load('leaks/ring.js'),
    }
    ring = new internals.CaptureRing(25)
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
    if (arm.startsWith('plugin')) {
      // Same-heap floor, interleaved with the plugin's measurements.
      const f = await measureStall(floor)
      inProcessFloor.push({ totalMs: f.totalMs, eldMaxMs: f.eldMaxMs, watchdogMaxMs: f.watchdogMaxMs })
    }
  }

  let ringMemory
  if (arm === 'watch') {
    // The ring's memory: filled to its 25 captures of this heap, measured as the post-GC heap it adds (the
    // same stacks recur, as a leak's do), beside the ring's own count of what it holds.
    ring = new internals.CaptureRing(25)
    globalThis.gc()
    const before = getHeapStatistics().used_heap_size
    for (let i = 0; i < 25; i++) await ops.watch()
    globalThis.gc()
    ringMemory = { measuredBytes: getHeapStatistics().used_heap_size - before, ...ring.footprint }
  }
  const tree = nativeRead()
  const nodes = countNodes(engine === 'inspector' ? tree.head : tree)
  const summary = lastGz ? await decodeSummary(lastGz) : {}
  if (app) await app.close()
  stopStallMeters()
  return { arm, engine, mib, ringMemory, heapUsedMiB, fillMs, calls, nodes, ...summary, first, runs, inProcessFloor }
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
