import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fastifyPprof from '../src/index.js'
import { ROUTES } from '../src/routes.js'
import { build } from './support/app.js'
import { decodeProfile } from './support/decode.js'

let app: FastifyInstance
beforeAll(async () => { app = await build() })
afterAll(async () => { await app.close() })

const OCTET = 'application/octet-stream'
const TEXT = 'text/plain; charset=utf-8'
const HTML = 'text/html; charset=utf-8'

// Go's TestHandlers, for our routes: status, type, disposition, and the sample types inside.
const PROFILES: Array<[url: string, filename: string, sampleTypes: string[], defaultType: string, periodType: string]> = [
  ['/debug/heap', 'heap', ['inuse_objects/count', 'inuse_space/bytes'], 'inuse_space', 'space/bytes'],
  ['/debug/pprof/heap', 'heap', ['inuse_objects/count', 'inuse_space/bytes'], 'inuse_space', 'space/bytes'],
  ['/debug/pprof/allocs', 'allocs', ['alloc_objects/count', 'alloc_space/bytes', 'inuse_objects/count', 'inuse_space/bytes'], 'alloc_space', 'space/bytes'],
  ['/debug/pprof/goroutine', 'goroutine', ['goroutine/count'], '', 'goroutine/count'],
  ['/debug/pprof/threadcreate', 'threadcreate', ['threadcreate/count'], '', 'threadcreate/count'],
  ['/debug/pprof/block', 'block', ['contentions/count', 'delay/nanoseconds'], '', 'contentions/count'],
  ['/debug/pprof/mutex', 'mutex', ['contentions/count', 'delay/nanoseconds'], '', 'contentions/count'],
  ['/debug/profile?seconds=1', 'profile', ['samples/count', 'cpu/nanoseconds'], '', 'cpu/nanoseconds'],
  ['/debug/pprof/profile?seconds=1', 'profile', ['samples/count', 'cpu/nanoseconds'], '', 'cpu/nanoseconds']
]

describe('profile routes', () => {
  it.each(PROFILES)('%s answers a valid gzipped profile', async (url, filename, sampleTypes, defaultType, periodType) => {
    const res = await app.inject(url)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe(OCTET)
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${filename}"`)
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-encoding']).toBeUndefined()
    const p = decodeProfile(res.rawPayload)
    expect(p.sampleTypes).toEqual(sampleTypes)
    expect(p.defaultSampleType).toBe(defaultType)
    expect(p.periodType).toBe(periodType)
    expect(p.strings[0]).toBe('')
    // One mapping with every has_* flag, so pprof never symbolizes remotely.
    expect(p.profile.mapping).toHaveLength(1)
    expect(p.profile.mapping[0]).toMatchObject({ hasFunctions: true, hasFilenames: true, hasLineNumbers: true })
    // Parca: ids sequential from 1 in array order; Alloy: distinct nonzero addresses.
    p.profile.location.forEach((l, i) => {
      expect(Number(l.id)).toBe(i + 1)
      expect(l.line.length).toBeGreaterThan(0)
      expect(Number(l.mappingId)).toBe(1)
    })
    p.profile.function.forEach((f, i) => expect(Number(f.id)).toBe(i + 1))
    const addresses = p.profile.location.map((l) => Number(l.address))
    expect(addresses.every((a) => a > 0)).toBe(true)
    expect(new Set(addresses).size).toBe(addresses.length)
    for (const s of p.profile.sample) expect(s.value).toHaveLength(sampleTypes.length)
  })

  it('goroutine counts active resources by type', async () => {
    const p = decodeProfile((await app.inject('/debug/pprof/goroutine')).rawPayload)
    const byType = p.flat('goroutine')
    const expected = new Map<string, number>()
    for (const t of process.getActiveResourcesInfo()) expected.set(t, (expected.get(t) ?? 0) + 1)
    // The same process, a moment later: the types match.
    expect([...byType.keys()].sort()).toEqual([...expected.keys()].sort())
  })
})

describe('text and pages', () => {
  it('serves Go\'s index at /pprof/ with relative links and every profile described', async () => {
    const res = await app.inject('/debug/pprof/')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe(HTML)
    expect(res.payload.startsWith('<html>\n<head>\n<title>/debug/pprof/</title>')).toBe(true)
    for (const name of ['allocs', 'block', 'goroutine', 'heap', 'mutex', 'profile', 'threadcreate']) {
      expect(res.payload).toContain(`<a href='${name}?debug=1'>${name}</a>`)
      expect(res.payload).toMatch(new RegExp(`<li><div class=profile-name>${name}: </div> \\S`))
    }
    expect(res.payload).not.toContain('cmdline')
  })

  it('redirects /pprof to /pprof/ like Go\'s mux', async () => {
    const res = await app.inject('/debug/pprof')
    expect(res.statusCode).toBe(301)
    expect(res.headers.location).toBe('/debug/pprof/')
  })

  it.each(['/debug', '/debug/'])('%s lists every endpoint', async (url) => {
    const res = await app.inject(url)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe(HTML)
    for (const r of ROUTES.filter((r) => r.unlisted !== true)) expect(res.payload).toContain(`href="/debug${r.path}"`)
  })

  it('answers debug=1 heap in Go\'s legacy text format', async () => {
    const res = await app.inject('/debug/pprof/heap?debug=1')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe(TEXT)
    expect(res.payload).toMatch(/^heap profile: \d+: \d+ \[\d+: \d+\] @ heap\/1048576\n/)
    expect(res.payload).toMatch(/\n\d+: \d+ \[\d+: \d+\] @( 0x[0-9a-f]+)+\n#\t0x[0-9a-f]+\t.+\+0x0\t.*:\d+\n/)
  })

  it('answers debug=1 goroutine in Go\'s count format', async () => {
    const res = await app.inject('/debug/pprof/goroutine?debug=1')
    expect(res.payload).toMatch(/^goroutine profile: total \d+\n/)
  })

  it('resolves addresses handed out in text profiles through /pprof/symbol', async () => {
    const text = (await app.inject('/debug/pprof/goroutine?debug=1')).payload
    const match = /@ (0x[0-9a-f]+)\n#\t0x[0-9a-f]+\t(\S+)\+0x0/.exec(text)
    expect(match).not.toBeNull()
    const [, address, name] = match as RegExpExecArray
    const minusOne = '0x' + (parseInt(address as string, 16) - 1).toString(16)
    const get = await app.inject(`/debug/pprof/symbol?${minusOne}+0x10`)
    expect(get.payload).toBe(`num_symbols: 1\n${minusOne} ${name}\n`)
    const post = await app.inject({ method: 'POST', url: '/debug/pprof/symbol', payload: `${address}+0x10`, headers: { 'content-type': OCTET } })
    expect(post.statusCode).toBe(200)
    expect(post.payload).toBe(`num_symbols: 1\n${address} ${name}\n`)
    const bare = await app.inject('/debug/pprof/symbol')
    expect(bare.payload).toBe('num_symbols: 1\n')
  })
})

describe('errors', () => {
  it.each([
    ['/debug/nope', 404, 'Unknown profile\n'],
    ['/debug/pprof/nope', 404, 'Unknown profile\n'],
    ['/debug/pprof/<script>x</script>', 404, 'Unknown profile\n'],
    ['/debug/pprof/cmdline', 404, 'Unknown profile\n'],
    ['/debug/pprof/trace', 501, 'execution traces are a Go runtime feature; Node has none\n']
  ])('%s answers %i in text with X-Go-Pprof', async (url, status, body) => {
    const res = await app.inject(url)
    expect(res.statusCode).toBe(status)
    expect(res.headers['content-type']).toBe(TEXT)
    expect(res.headers['x-go-pprof']).toBe('1')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['content-disposition']).toBeUndefined()
    expect(res.payload).toBe(body)
  })

  it('HEAD on /profile answers headers without running a profile', async () => {
    const res = await app.inject({ method: 'HEAD', url: '/debug/profile?seconds=300' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe(OCTET)
    expect(res.payload).toBe('')
  })
})

describe('encapsulation', () => {
  it('keeps the host\'s error handler, hooks and parsers out of our answers, and ours out of the host\'s routes', async () => {
    const host = Fastify()
    host.setErrorHandler(async (_err, _req, reply) => reply.code(500).send({ hijacked: true }))
    host.setNotFoundHandler(async (_req, reply) => reply.code(418).send({ teapot: true }))
    host.get('/hello', async () => ({ hello: 'world' }))
    await host.register(fastifyPprof, { auth: { username: 'ops', password: 'pw' } })
    try {
      const bad = await host.inject({ url: '/debug/profile?seconds=x', headers: { authorization: 'Basic ' + Buffer.from('ops:pw').toString('base64') } })
      expect(bad.statusCode).toBe(400)
      expect(bad.headers['x-go-pprof']).toBe('1')
      const unknown = await host.inject('/debug/whatever')
      expect(unknown.statusCode).toBe(401)
      const hello = await host.inject('/hello')
      expect(hello.statusCode).toBe(200)
      expect(hello.headers['x-content-type-options']).toBeUndefined()
      expect(hello.headers['cache-control']).toBeUndefined()
      expect((await host.inject('/elsewhere')).statusCode).toBe(418)
    } finally {
      await host.close()
    }
  })

  it('mounts at any prefix', async () => {
    const other = await build({ prefix: '/ops/pprof-debug' })
    try {
      expect((await other.inject('/ops/pprof-debug/pprof/heap')).statusCode).toBe(200)
      expect((await other.inject('/debug/heap')).statusCode).toBe(404)
      const index = await other.inject('/ops/pprof-debug/pprof/')
      expect(index.payload).toContain('<title>/ops/pprof-debug/pprof/</title>')
    } finally {
      await other.close()
    }
  })
})
