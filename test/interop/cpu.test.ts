// Interop: the real `go tool pprof` (go1.19) takes CPU profiles from the plugin, by the plugin's route, the Go
// alias and a bare host:port, and sees the busy test function on top.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { describeRun, goPprof, parseTop, requireGo, unexpectedStderr, type GoPprofResult, type TopRow } from '../support/go-pprof.js'
import { startBurning } from '../support/burn.js'
import { startServer, symbolRequests, waitForRequest, type TestServer } from '../support/listen.js'

/** The rows of functions written in JS: V8's pseudo-frames such as `(program)` and `(garbage collector)` left out. */
const userRows = (rows: TopRow[]): TopRow[] => rows.filter((row) => !row.name.startsWith('('))

function expectCleanCpuTop (r: GoPprofResult): TopRow[] {
  expect(r.code, describeRun(r)).toBe(0)
  expect(unexpectedStderr(r.stderr), describeRun(r)).toEqual([])
  const top = parseTop(r.stdout)
  expect(top.type, describeRun(r)).toBe('cpu')
  expect(top.rows.map((row) => row.name), describeRun(r)).not.toContain('(idle)')
  return top.rows
}

const haveGo = requireGo()

describe.skipIf(!haveGo)('go tool pprof reads CPU profiles', () => {
  let server: TestServer
  let stopBurning: (() => void) | undefined

  beforeAll(async () => {
    server = await startServer()
  })

  afterEach(() => {
    stopBurning?.()
    stopBurning = undefined
  })

  afterAll(async () => {
    await server?.close()
  })

  it('-top /debug/profile?seconds=2: burnCpuForProfileTest is the first user function', async () => {
    stopBurning = startBurning()
    const r = await goPprof(['-top', `${server.url}/debug/profile?seconds=2`])
    const rows = expectCleanCpuTop(r)
    expect(userRows(rows)[0]?.name, describeRun(r)).toBe('burnCpuForProfileTest')
    // it burned most of the 2 s: at least a quarter of it as flat time
    expect(userRows(rows)[0]?.flat ?? 0, describeRun(r)).toBeGreaterThan(0.5e9)
    expect(parseTop(r.stdout).duration, describeRun(r)).toMatch(/^2(\.\d+)?s$/)
    expect(symbolRequests(server)).toEqual([])
  })

  it('-top -sample_index=samples counts samples at ~100 Hz', async () => {
    stopBurning = startBurning()
    const r = await goPprof(['-top', '-sample_index=samples', `${server.url}/debug/profile?seconds=2`])
    expect(r.code, describeRun(r)).toBe(0)
    const top = parseTop(r.stdout)
    expect(top.type, describeRun(r)).toBe('samples')
    const first = userRows(top.rows)[0]
    expect(first?.name, describeRun(r)).toBe('burnCpuForProfileTest')
    // 2 s at 100 Hz = 200 samples at most
    expect(first?.flat ?? 0, describeRun(r)).toBeGreaterThan(50)
    expect(first?.flat ?? 0, describeRun(r)).toBeLessThanOrEqual(230)
  })

  it('-raw shows Go\'s CPU sample types and period', async () => {
    const r = await goPprof(['-raw', `${server.url}/debug/profile?seconds=1`])
    expect(r.code, describeRun(r)).toBe(0)
    expect(unexpectedStderr(r.stderr), describeRun(r)).toEqual([])
    expect(r.stdout).toMatch(/^PeriodType: cpu nanoseconds$/m)
    expect(r.stdout).toMatch(/^Period: 10000000$/m)
    expect(r.stdout).toMatch(/^\s*samples\/count\s+cpu\/nanoseconds(\[dflt\])?\s*$/m)
    expect(r.stdout).toMatch(/\nMappings\n1: [^\n]*\[FN\]\[FL\]\[LN\]\n?$/)
  })

  it('-seconds 2 /debug/pprof/profile (Go alias) works and tops burnCpuForProfileTest', async () => {
    stopBurning = startBurning()
    const r = await goPprof(['-top', '-seconds', '2', `${server.url}/debug/pprof/profile`])
    const rows = expectCleanCpuTop(r)
    expect(userRows(rows)[0]?.name, describeRun(r)).toBe('burnCpuForProfileTest')
    expect(server.requests).toContainEqual({ method: 'GET', url: '/debug/pprof/profile?seconds=2' })
    expect(symbolRequests(server)).toEqual([])
  })

  it('-seconds 2 http://127.0.0.1:PORT (no path) asks for /debug/pprof/profile and gets a CPU profile', async () => {
    stopBurning = startBurning()
    const r = await goPprof(['-top', '-seconds', '2', server.url])
    const rows = expectCleanCpuTop(r)
    expect(userRows(rows)[0]?.name, describeRun(r)).toBe('burnCpuForProfileTest')
    expect(server.requests).toContainEqual({ method: 'GET', url: '/debug/pprof/profile?seconds=2' })
    expect(symbolRequests(server)).toEqual([])
  })

  it('a second concurrent profile is refused with 409 and Retry-After, which go tool pprof shows', async () => {
    const first = fetch(`${server.url}/debug/profile?seconds=3`)
    await waitForRequest(server, '/debug/profile?seconds=3')

    const r = await goPprof(['-top', '-seconds', '1', `${server.url}/debug/profile`])
    expect(r.code, describeRun(r)).not.toBe(0)
    expect(r.stderr, describeRun(r)).toMatch(/server response: 409 Conflict - \S/)

    const second = await fetch(`${server.url}/debug/pprof/profile?seconds=1`)
    expect(second.status).toBe(409)
    expect(second.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(second.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(second.headers.get('x-go-pprof')).toBe('1')
    expect(await second.text()).toMatch(/\n$/)

    // the running profile is unaffected
    const res = await first
    expect(res.status).toBe(200)
    const body = Buffer.from(await res.arrayBuffer())
    expect(body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]))
  })

  it.each([
    ['abc', '/debug/profile?seconds=abc'],
    ['over maxProfileSeconds (300)', '/debug/profile?seconds=301'],
    ['on the Go alias', '/debug/pprof/profile?seconds=0']
  ])('a bad ?seconds (%s) shows the server\'s 400 reason in go tool pprof\'s output', async (_label, path) => {
    const r = await goPprof(['-top', `${server.url}${path}`])
    expect(r.code, describeRun(r)).not.toBe(0)
    expect(r.stderr, describeRun(r)).toMatch(/server response: 400 Bad Request - \S.*seconds/)
    expect(r.stderr, describeRun(r)).toMatch(/failed to fetch any source profiles/)

    const res = await fetch(`${server.url}${path}`)
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(res.headers.get('x-go-pprof')).toBe('1')
    expect(await res.text()).toMatch(/seconds[^\n]*\n$/)
  })
})
