import { describe, expect, it } from 'vitest'
import { basic, build } from './support/app.js'
import { isLoopbackAddress, isLoopbackHost } from '../src/http/access.js'

const AUTH = { username: 'ops', password: 'correct horse battery staple' }

describe('basic auth', () => {
  it('guards every route under the prefix, including unknown paths and HEAD', async () => {
    const app = await build({ auth: AUTH })
    try {
      for (const [method, url] of [['GET', '/debug'], ['GET', '/debug/heap'], ['GET', '/debug/pprof/'], ['GET', '/debug/nope'], ['HEAD', '/debug/heap'], ['POST', '/debug/pprof/symbol'], ['OPTIONS', '/debug/heap']] as const) {
        const res = await app.inject({ method, url })
        expect(res.statusCode, `${method} ${url}`).toBe(401)
        expect(res.headers['www-authenticate']).toBe('Basic realm="fastify-pprof", charset="UTF-8"')
        expect(res.headers['x-content-type-options']).toBe('nosniff')
      }
      const ok = await app.inject({ url: '/debug/heap', headers: { authorization: basic(AUTH.username, AUTH.password) } })
      expect(ok.statusCode).toBe(200)
      expect(ok.headers['www-authenticate']).toBeUndefined()
    } finally {
      await app.close()
    }
  })

  it('answers every kind of bad credentials with a byte-identical 401', async () => {
    const app = await build({ auth: AUTH })
    try {
      const variants = [
        undefined,
        basic('ops', 'wrong'),
        basic('nobody', AUTH.password),
        basic('', ''),
        'Bearer abc',
        'Basic !!!',
        'Basic ' + Buffer.from('no-colon').toString('base64'),
        basic('ops', 'x'.repeat(4000))
      ]
      const answers = await Promise.all(variants.map(async (authorization) => {
        const res = await app.inject({ url: '/debug/heap', headers: authorization === undefined ? {} : { authorization } })
        const { date: _date, ...headers } = res.headers
        return { status: res.statusCode, headers, body: res.payload }
      }))
      for (const a of answers) expect(a).toEqual(answers[0])
      expect(answers[0]?.status).toBe(401)
      expect(answers[0]?.body).toBe('Unauthorized\n')
    } finally {
      await app.close()
    }
  })

  it('works with go tool pprof\'s user:pass@ URLs (percent-decoded by the client into Basic auth)', async () => {
    const app = await build({ auth: { username: 'ops', password: 'pa:ss' } })
    try {
      const res = await app.inject({ url: '/debug/pprof/heap', headers: { authorization: basic('ops', 'pa:ss') } })
      expect(res.statusCode).toBe(200)
    } finally {
      await app.close()
    }
  })
})

describe('without auth: loopback only', () => {
  it('serves loopback clients with a loopback Host', async () => {
    const app = await build()
    try {
      for (const host of ['localhost', 'localhost:3000', '127.0.0.1:80', '127.1.2.3', '[::1]:8080']) {
        const res = await app.inject({ url: '/debug/heap', headers: { host } })
        expect(res.statusCode, host).toBe(200)
      }
    } finally {
      await app.close()
    }
  })

  it('refuses other clients, rebinding Hosts and cross-site requests with 403 before any work', async () => {
    const app = await build()
    try {
      const cases = [
        { remoteAddress: '10.0.0.5' },
        { remoteAddress: '192.168.1.20' },
        { remoteAddress: '::ffff:8.8.8.8' },
        { headers: { host: 'evil.example' } },
        { headers: { host: '127.0.0.1.nip.io' } },
        { headers: { host: 'localhost.evil.example:80' } },
        { headers: { 'sec-fetch-site': 'cross-site' } }
      ]
      for (const c of cases) {
        const res = await app.inject({ url: '/debug/profile?seconds=300', ...c })
        expect(res.statusCode, JSON.stringify(c)).toBe(403)
        expect(res.headers['x-go-pprof']).toBe('1')
        expect(res.payload).toMatch(/^forbidden: /)
      }
    } finally {
      await app.close()
    }
  })

  it('logs one warning at registration', async () => {
    const lines: string[] = []
    const stream = { write: (line: string) => { lines.push(line) } }
    const app = await build({}, { logger: { level: 'warn', stream } })
    await app.close()
    expect(lines.filter((l) => l.includes('no auth configured'))).toHaveLength(1)
  })

  it.each([
    ['127.0.0.1', true], ['127.255.0.1', true], ['::1', true], ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false], ['::', false], ['::ffff:10.0.0.1', false], [undefined, false]
  ])('isLoopbackAddress(%s) is %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected)
  })

  it.each([
    ['localhost', true], ['LOCALHOST:1', true], ['127.0.0.1', true], ['[::1]', true], [undefined, true],
    ['[::2]', false], ['example.com', false], ['127.0.0.1:80:80', false], ['', false], ['localhost.', false]
  ])('isLoopbackHost(%s) is %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected)
  })
})
