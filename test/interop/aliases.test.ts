// Interop: every Go alias under /debug/pprof/ answers what `go tool pprof` and Go scrapers expect: a valid profile
// with Go's sample types (possibly without samples), the Go-shaped index, and the symbol endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeRun, goPprof, parseTop, requireGo, unexpectedStderr } from '../support/go-pprof.js'
import { startServer, symbolRequests, type TestServer } from '../support/listen.js'

const haveGo = requireGo()

describe.skipIf(!haveGo)('go tool pprof reads the Go aliases', () => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer()
  })

  afterAll(async () => {
    await server?.close()
  })

  // name, the `Type:` go tool pprof shows by default, the `-raw` sample types line, the `-raw` period type
  const profiles: Array<[string, string, RegExp, string]> = [
    ['allocs', 'alloc_space',
      /^\s*alloc_objects\/count\s+alloc_space\/bytes\[dflt\]\s+inuse_objects\/count\s+inuse_space\/bytes\s*$/m,
      'space bytes'],
    ['goroutine', 'goroutine', /^\s*goroutine\/count(\[dflt\])?\s*$/m, 'goroutine count'],
    ['block', 'delay', /^\s*contentions\/count\s+delay\/nanoseconds(\[dflt\])?\s*$/m, 'contentions count'],
    ['mutex', 'delay', /^\s*contentions\/count\s+delay\/nanoseconds(\[dflt\])?\s*$/m, 'contentions count'],
    ['threadcreate', 'threadcreate', /^\s*threadcreate\/count(\[dflt\])?\s*$/m, 'threadcreate count']
  ]

  it.each(profiles)('-top /debug/pprof/%s opens cleanly as Type: %s', async (name, type) => {
    const r = await goPprof(['-top', `${server.url}/debug/pprof/${name}`])
    expect(r.code, describeRun(r)).toBe(0)
    expect(unexpectedStderr(r.stderr), describeRun(r)).toEqual([])
    expect(parseTop(r.stdout).type, describeRun(r)).toBe(type)
    expect(symbolRequests(server)).toEqual([])
  })

  it.each(profiles)('-raw /debug/pprof/%s has Go\'s sample types and period type', async (name, _type, sampleTypes, periodType) => {
    const r = await goPprof(['-raw', `${server.url}/debug/pprof/${name}`])
    expect(r.code, describeRun(r)).toBe(0)
    expect(unexpectedStderr(r.stderr), describeRun(r)).toEqual([])
    expect(r.stdout, describeRun(r)).toMatch(sampleTypes)
    expect(r.stdout, describeRun(r)).toMatch(new RegExp(`^PeriodType: ${periodType}$`, 'm'))
    expect(r.stdout, describeRun(r)).toMatch(/\nMappings\n1: [^\n]*\[FN\]\[FL\]\[LN\]\n?$/)
    expect(symbolRequests(server)).toEqual([])
  })

  it('every alias is a 200 gzip octet-stream attachment named like Go\'s', async () => {
    for (const name of ['heap', 'allocs', 'goroutine', 'block', 'mutex', 'threadcreate']) {
      const res = await fetch(`${server.url}/debug/pprof/${name}`)
      expect(res.status, name).toBe(200)
      expect(res.headers.get('content-type'), name).toBe('application/octet-stream')
      expect(res.headers.get('content-disposition'), name).toBe(`attachment; filename="${name}"`)
      expect(res.headers.get('x-content-type-options'), name).toBe('nosniff')
      const body = Buffer.from(await res.arrayBuffer())
      expect(body.subarray(0, 2), name).toEqual(Buffer.from([0x1f, 0x8b]))
    }
  })

  it('/debug/pprof/ is a Go-shaped index whose relative links resolve', async () => {
    const res = await fetch(`${server.url}/debug/pprof/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await res.text()
    expect(html).toContain('Types of profiles available:')
    for (const name of ['allocs', 'block', 'goroutine', 'heap', 'mutex', 'profile', 'threadcreate']) {
      expect(html).toMatch(new RegExp(`<a href=['"]${name}(\\?debug=1)?['"]>${name}</a>`))
    }
    // a link from the index, resolved against the index URL, reaches the profile
    const r = await goPprof(['-top', new URL('heap', `${server.url}/debug/pprof/`).href])
    expect(r.code, describeRun(r)).toBe(0)
  })

  it('/debug/pprof/symbol answers num_symbols: 1 on GET and on a POST with any content type', async () => {
    const get = await fetch(`${server.url}/debug/pprof/symbol`)
    expect(get.status).toBe(200)
    expect(get.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await get.text()).toMatch(/^num_symbols: 1\n/)

    // go tool pprof's symbolizer POSTs application/octet-stream; Go's handler reads the body whatever its type.
    // An address a text profile handed out must come back named, from the body, under every type.
    const text = await (await fetch(`${server.url}/debug/pprof/goroutine?debug=1`)).text()
    const address = /@ (0x[0-9a-f]+)/.exec(text)?.[1]
    expect(address, text).toBeTruthy()
    for (const type of ['application/octet-stream', 'text/plain', 'application/json', 'application/x-www-form-urlencoded', 'x/unheard-of', undefined]) {
      const post = await fetch(`${server.url}/debug/pprof/symbol`, {
        method: 'POST',
        headers: type === undefined ? {} : { 'content-type': type },
        body: `0x1+${address ?? ''}`
      })
      expect(post.status, String(type)).toBe(200)
      expect(await post.text(), String(type)).toMatch(/^num_symbols: 1\n0x[0-9a-f]+ \S+\n$/)
    }
  })

  it('an unknown profile is a Go-style 404 that go tool pprof shows', async () => {
    const r = await goPprof(['-top', `${server.url}/debug/pprof/nosuchprofile`])
    expect(r.code, describeRun(r)).not.toBe(0)
    expect(r.stderr, describeRun(r)).toMatch(/server response: 404 Not Found - Unknown profile/)
  })
})
