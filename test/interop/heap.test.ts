// Interop: the real `go tool pprof` (go1.19) reads the plugin's heap profiles, by URL and from saved files,
// and finds memory retained by known test functions with roughly the right size.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeRun, goPprof, parseTop, requireGo, unexpectedStderr, type GoPprofResult, type TopRow } from '../support/go-pprof.js'
import { startServer, symbolRequests, waitForRequest, type TestServer } from '../support/listen.js'

const MB = 1024 * 1024

// The workloads are plain loops in functions too big for TurboFan to inline (see pitfalls.md): the sampling heap
// profiler charges an inlined function's allocations to its caller. Objects hold small integers only, so each one
// has a fixed size and the heapUsed growth is a faithful reference. The three are copies on purpose: the profile
// attributes memory to the allocating function, so each scenario needs its own name.
function retainForHeapTest (megabytes: number): unknown[][] {
  const perChunk = 1024
  const chunks: unknown[][] = []
  let bytes = 0
  let c = 0
  while (bytes < megabytes * MB) {
    const chunk: unknown[] = new Array(perChunk)
    for (let i = 0; i < perChunk; i++) {
      chunk[i] = { index: i, chunk: c, weight: i * 2, tag: (c + i) | 0 }
    }
    chunks.push(chunk)
    // 4 in-object fields + 3 header words per object, plus one slot in the chunk array
    bytes += perChunk * (7 * 8 + 8) + 16
    c++
  }
  return chunks
}

function retainExtraForBaseTest (megabytes: number): unknown[][] {
  const perChunk = 512
  const chunks: unknown[][] = []
  let bytes = 0
  let c = 0
  while (bytes < megabytes * MB) {
    const chunk: unknown[] = new Array(perChunk)
    for (let i = 0; i < perChunk; i++) {
      chunk[i] = { slot: i, group: c, base: i * 3, mark: (c ^ i) | 0 }
    }
    chunks.push(chunk)
    bytes += perChunk * (7 * 8 + 8) + 16
    c++
  }
  return chunks
}

function retainDuringHeapDeltaTest (megabytes: number): unknown[][] {
  const perChunk = 256
  const chunks: unknown[][] = []
  let bytes = 0
  let c = 0
  while (bytes < megabytes * MB) {
    const chunk: unknown[] = new Array(perChunk)
    for (let i = 0; i < perChunk; i++) {
      chunk[i] = { pos: i, run: c, delta: i * 5, flag: (c & i) | 0 }
    }
    chunks.push(chunk)
    bytes += perChunk * (7 * 8 + 8) + 16
    c++
  }
  return chunks
}

// A reliable GC for measuring the reference size: obtained once (each runInNewContext allocates a context).
v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

/** Runs `fn` and returns what it retains together with how much the V8 heap grew (after full GCs). */
function measureRetained<T> (fn: () => T): { value: T, bytes: number } {
  gc()
  const before = process.memoryUsage().heapUsed
  const value = fn()
  gc()
  return { value, bytes: process.memoryUsage().heapUsed - before }
}

const haveGo = requireGo()

/** The assertions every successful fetch shares: exit 0, no warnings, a parsable `-top`. */
function expectCleanTop (r: GoPprofResult, type: string): TopRow[] {
  expect(r.code, describeRun(r)).toBe(0)
  expect(unexpectedStderr(r.stderr), describeRun(r)).toEqual([])
  const top = parseTop(r.stdout)
  expect(top.type, describeRun(r)).toBe(type)
  return top.rows
}

/** Fails unless `rows[0]` is `name` with a flat value within [0.5x, 2x] of `bytes`. */
function expectTopsWith (rows: TopRow[], name: string, bytes: number, run: GoPprofResult): void {
  expect(rows[0]?.name, describeRun(run)).toBe(name)
  const flat = rows[0]?.flat ?? 0
  const message = `${name} flat ${(flat / MB).toFixed(2)} MB vs ${(bytes / MB).toFixed(2)} MB retained\n${describeRun(run)}`
  expect(flat, message).toBeGreaterThanOrEqual(bytes * 0.5)
  expect(flat, message).toBeLessThanOrEqual(bytes * 2)
}

describe.skipIf(!haveGo)('go tool pprof reads heap profiles', () => {
  let server: TestServer
  let retained: { value: unknown[][], bytes: number }
  let dir: string

  beforeAll(async () => {
    server = await startServer()
    dir = await mkdtemp(join(tmpdir(), 'interop-heap-'))
    // Retained for the whole file: every profile below must show it (or, for -base and deltas, cancel it out).
    retained = measureRetained(() => retainForHeapTest(40))
  })

  afterAll(async () => {
    await server?.close()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('sanity: the test workload retains about 40 MB', () => {
    expect(retained.bytes).toBeGreaterThan(30 * MB)
    expect(retained.bytes).toBeLessThan(60 * MB)
  })

  it('-top /debug/heap?gc=1 -sample_index=inuse_space: retainForHeapTest on top with the retained size', async () => {
    const r = await goPprof(['-top', '-sample_index=inuse_space', `${server.url}/debug/heap?gc=1`])
    const rows = expectCleanTop(r, 'inuse_space')
    expectTopsWith(rows, 'retainForHeapTest', retained.bytes, r)
    expect(symbolRequests(server)).toEqual([])
  })

  it('-top /debug/heap defaults to inuse_space', async () => {
    const r = await goPprof(['-top', `${server.url}/debug/heap`])
    const rows = expectCleanTop(r, 'inuse_space')
    expect(rows[0]?.name, describeRun(r)).toBe('retainForHeapTest')
    expect(symbolRequests(server)).toEqual([])
  })

  it('-sample_index=inuse_objects counts objects, and retainForHeapTest holds most of them', async () => {
    const r = await goPprof(['-top', '-sample_index=inuse_objects', `${server.url}/debug/heap?gc=1`])
    const rows = expectCleanTop(r, 'inuse_objects')
    expect(rows[0]?.name, describeRun(r)).toBe('retainForHeapTest')
    // ~40 MB / 64 bytes per object plus chunk arrays: several hundred thousand objects
    expect(rows[0]?.flat ?? 0, describeRun(r)).toBeGreaterThan(200_000)
    expect(rows[0]?.flat ?? 0, describeRun(r)).toBeLessThan(2_000_000)
  })

  it('-top /debug/pprof/heap?gc=1 (Go alias): same profile, retainForHeapTest on top', async () => {
    const r = await goPprof(['-top', '-sample_index=inuse_space', `${server.url}/debug/pprof/heap?gc=1`])
    const rows = expectCleanTop(r, 'inuse_space')
    expectTopsWith(rows, 'retainForHeapTest', retained.bytes, r)
    expect(symbolRequests(server)).toEqual([])
  })

  it('-raw shows Go\'s heap sample types, period type and one clean mapping', async () => {
    const r = await goPprof(['-raw', `${server.url}/debug/heap`])
    expect(r.code, describeRun(r)).toBe(0)
    expect(unexpectedStderr(r.stderr), describeRun(r)).toEqual([])
    expect(r.stdout).toMatch(/^PeriodType: space bytes$/m)
    expect(r.stdout).toMatch(/^Period: 524288$/m)
    expect(r.stdout).toMatch(/^\s*inuse_objects\/count\s+inuse_space\/bytes\[dflt\]\s*$/m)
    // one mapping, with has_functions, has_filenames and has_line_numbers: pprof never symbolizes it
    expect(r.stdout).toMatch(/\nMappings\n1: [^\n]*\[FN\]\[FL\]\[LN\]\n?$/)
  })

  it('-top /debug/heap?seconds=2: the delta shows what was retained during the window', async () => {
    const pending = goPprof(['-top', '-sample_index=inuse_space', `${server.url}/debug/heap?seconds=2`])
    // retain inside the window: p0 is taken when the request arrives, p1 two seconds later
    await waitForRequest(server, '/debug/heap?seconds=2')
    await new Promise((resolve) => setTimeout(resolve, 300))
    const during = measureRetained(() => retainDuringHeapDeltaTest(16))
    const r = await pending
    const rows = expectCleanTop(r, 'inuse_space')
    expect(parseTop(r.stdout).duration, describeRun(r)).toMatch(/^2(\.\d+)?s$/)
    expectTopsWith(rows, 'retainDuringHeapDeltaTest', during.bytes, r)
    // retained before p0: cancelled out by the delta (a few samples of noise at most)
    const old = rows.find((row) => row.name === 'retainForHeapTest')
    expect(Math.abs(old?.flat ?? 0), describeRun(r)).toBeLessThan(retained.bytes * 0.1)
    expect(server.requests.some((q) => q.url === '/debug/heap?seconds=2')).toBe(true)
    expect(symbolRequests(server)).toEqual([])
    expect(during.value.length).toBeGreaterThan(0) // held until after the profile
  })

  it('-base a.pb.gz b.pb.gz on saved files: retainExtraForBaseTest is the difference', async () => {
    const save = async (name: string): Promise<string> => {
      const res = await fetch(`${server.url}/debug/heap?gc=1`)
      expect(res.status).toBe(200)
      const file = join(dir, name)
      await writeFile(file, Buffer.from(await res.arrayBuffer()))
      return file
    }
    const a = await save('a.pb.gz')
    const extra = measureRetained(() => retainExtraForBaseTest(20))
    const b = await save('b.pb.gz')

    const r = await goPprof(['-top', '-sample_index=inuse_space', '-base', a, b])
    const rows = expectCleanTop(r, 'inuse_space')
    expectTopsWith(rows, 'retainExtraForBaseTest', extra.bytes, r)
    const old = rows.find((row) => row.name === 'retainForHeapTest')
    expect(Math.abs(old?.flat ?? 0), describeRun(r)).toBeLessThan(retained.bytes * 0.1)

    // a saved file on its own opens without "Main binary filename not available" or local symbolization noise
    const single = await goPprof(['-top', '-sample_index=inuse_space', b])
    const singleRows = expectCleanTop(single, 'inuse_space')
    expect(singleRows[0]?.name, describeRun(single)).toBe('retainForHeapTest')
    expect(extra.value.length).toBeGreaterThan(0)
  })

  it('?debug=1 legacy text on /debug/pprof/heap: pprof resolves it through POST /debug/pprof/symbol', async () => {
    const r = await goPprof(['-top', '-sample_index=inuse_space', `${server.url}/debug/pprof/heap?gc=1&debug=1`])
    expect(r.code, describeRun(r)).toBe(0)
    expect(unexpectedStderr(r.stderr), describeRun(r)).toEqual([])
    const top = parseTop(r.stdout)
    expect(top.type, describeRun(r)).toBe('inuse_space')
    expectTopsWith(top.rows, 'retainForHeapTest', retained.bytes, r)
    expect(server.requests).toContainEqual({ method: 'POST', url: '/debug/pprof/symbol' })
  })

  it('a bad ?seconds shows the server\'s 400 reason in go tool pprof\'s output', async () => {
    const r = await goPprof(['-top', `${server.url}/debug/heap?seconds=abc`])
    expect(r.code, describeRun(r)).not.toBe(0)
    expect(r.stderr, describeRun(r)).toMatch(/server response: 400 Bad Request - \S.*seconds/)

    const res = await fetch(`${server.url}/debug/heap?seconds=abc`)
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(res.headers.get('x-go-pprof')).toBe('1')
    expect(await res.text()).toMatch(/seconds[^\n]*\n$/)
  })
})
