// Interop: `go tool pprof http://user:pass@host:port/...` sends Basic auth, which the plugin accepts; without
// credentials go tool pprof fails with the 401.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeRun, goPprof, parseTop, requireGo, unexpectedStderr } from '../support/go-pprof.js'
import { startServer, type TestServer } from '../support/listen.js'

const haveGo = requireGo()

const username = 'ops'
const password = 'interop-s3cret'

describe.skipIf(!haveGo)('go tool pprof against a server with auth', () => {
  let server: TestServer
  let withCredentials: string

  beforeAll(async () => {
    server = await startServer({ auth: { username, password } })
    withCredentials = `http://${username}:${password}@${server.hostPort}`
  })

  afterAll(async () => {
    await server?.close()
  })

  it('user:pass@ in the URL fetches the heap profile', async () => {
    const r = await goPprof(['-top', `${withCredentials}/debug/heap`])
    expect(r.code, describeRun(r)).toBe(0)
    expect(unexpectedStderr(r.stderr), describeRun(r)).toEqual([])
    expect(parseTop(r.stdout).type, describeRun(r)).toBe('inuse_space')
  })

  it('user:pass@ in the URL fetches a CPU profile on the Go alias', async () => {
    const r = await goPprof(['-top', '-seconds', '1', `${withCredentials}/debug/pprof/profile`])
    expect(r.code, describeRun(r)).toBe(0)
    expect(unexpectedStderr(r.stderr), describeRun(r)).toEqual([])
    expect(parseTop(r.stdout).type, describeRun(r)).toBe('cpu')
  })

  it('user:pass@ also covers the symbolization POST of a ?debug=1 text profile', async () => {
    const r = await goPprof(['-top', `${withCredentials}/debug/pprof/heap?debug=1`])
    expect(r.code, describeRun(r)).toBe(0)
    expect(unexpectedStderr(r.stderr), describeRun(r)).toEqual([])
    expect(parseTop(r.stdout).type, describeRun(r)).toBe('inuse_space')
    expect(server.requests).toContainEqual({ method: 'POST', url: '/debug/pprof/symbol' })
  })

  it.each([
    ['no credentials', ''],
    ['a wrong password', `${username}:wrong@`]
  ])('with %s go tool pprof fails with the 401', async (_label, userinfo) => {
    const r = await goPprof(['-top', `http://${userinfo}${server.hostPort}/debug/heap`])
    expect(r.code, describeRun(r)).not.toBe(0)
    expect(r.stderr, describeRun(r)).toMatch(/server response: 401 Unauthorized/)
    expect(r.stderr, describeRun(r)).toMatch(/failed to fetch any source profiles/)
    expect(r.stdout).not.toMatch(/^Type:/m)
  })
})
