import fastifyBasicAuth from '@fastify/basic-auth'
import Fastify, { type FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import fastifyPprof from '../src/index.js'
import { FailureLimiter } from '../src/http/rate-limit.js'
import { basic, build } from './support/app.js'

const AUTH = { username: 'ops', password: 's3cret-pass-phrase' }
const GOOD = basic(AUTH.username, AUTH.password)

function captureLogs (): { lines: string[], stream: { write: (l: string) => void } } {
  const lines: string[] = []
  return { lines, stream: { write: (l: string) => { lines.push(l) } } }
}

describe('auth with the user\'s own validate', () => {
  it('lets in exactly what validate accepts; a throw or a non-true value is a refusal', async () => {
    const seen: string[] = []
    const app = await build({
      auth: {
        validate: async (username, password, request) => {
          seen.push(request.url)
          if (username === 'boom') throw new Error('store down')
          if (username === 'truthy') return 'yes' as unknown as boolean
          return username === 'alice' && password === 'pw'
        }
      }
    })
    try {
      expect((await app.inject({ url: '/debug/heap', headers: { authorization: basic('alice', 'pw') } })).statusCode).toBe(200)
      const refusals = await Promise.all(['bob', 'boom', 'truthy'].map(async (u) => await app.inject({ url: '/debug/heap', headers: { authorization: basic(u, 'pw') } })))
      for (const r of refusals) {
        expect(r.statusCode).toBe(401)
        expect(r.payload).toBe('Unauthorized\n')
      }
      expect(seen).toContain('/debug/heap')
    } finally {
      await app.close()
    }
  })

  it('refuses a config with both credentials and validate', async () => {
    const app = Fastify()
    await expect(app.register(fastifyPprof, { auth: { username: 'a', password: 'b', validate: () => true } as never }).ready())
      .rejects.toMatchObject({ code: 'FST_PPROF_INVALID_OPTION' })
    await app.close()
  })
})

describe('failed-login throttling', () => {
  it('answers 429 with Retry-After after too many failures from one address, before checking credentials', async () => {
    // A window a stalled machine cannot outlast: were it to end before the blocked request, that request would
    // start a 300 s CPU profile.
    const app = await build({ auth: AUTH, authRateLimit: { maxFailures: 3, windowMs: 1000 } })
    try {
      // Requests without credentials (a browser's first try) do not count.
      for (let i = 0; i < 5; i++) expect((await app.inject('/debug/heap')).statusCode).toBe(401)
      for (let i = 0; i < 3; i++) {
        expect((await app.inject({ url: '/debug/heap', headers: { authorization: basic('ops', 'guess' + i) } })).statusCode).toBe(401)
      }
      const blocked = await app.inject({ url: '/debug/profile?seconds=300', headers: { authorization: GOOD } })
      expect(blocked.statusCode).toBe(429)
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      expect(blocked.headers['x-go-pprof']).toBe('1')
      // Another address is not affected.
      expect((await app.inject({ url: '/debug/heap', headers: { authorization: GOOD }, remoteAddress: '127.0.0.2' })).statusCode).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 1050))
      expect((await app.inject({ url: '/debug/heap', headers: { authorization: GOOD } })).statusCode).toBe(200)
    } finally {
      await app.close()
    }
  })

  it('remembers a bounded number of addresses', () => {
    const limiter = new FailureLimiter({ maxFailures: 1, windowMs: 60_000, maxAddresses: 100 })
    for (let i = 0; i < 10_000; i++) limiter.recordFailure(`10.0.${i >> 8}.${i & 255}`)
    expect(limiter.size).toBe(100)
    expect(limiter.blockedFor('10.0.39.15')).toBeGreaterThan(0)
    expect(limiter.blockedFor('10.0.0.0')).toBe(0)
  })
})

describe('exposeWithoutAuth', () => {
  it('is the only way to serve other addresses without auth, and warns at registration and at every listen', async () => {
    const logs = captureLogs()
    const app = await build({ exposeWithoutAuth: true }, { logger: { level: 'warn', stream: logs.stream } })
    try {
      expect((await app.inject({ url: '/debug/heap', remoteAddress: '10.1.2.3', headers: { host: 'debug.internal' } })).statusCode).toBe(200)
      await app.listen({ host: '127.0.0.1', port: 0 })
      expect(logs.lines.filter((l) => l.includes('exposeWithoutAuth is set'))).toHaveLength(2)
    } finally {
      await app.close()
    }
  })
})

describe('audit and logs', () => {
  it('logs one audit line per profile request, and never the credentials', async () => {
    const logs = captureLogs()
    const app = await build({ auth: AUTH }, { logger: { level: 'trace', stream: logs.stream } })
    try {
      await app.inject({ url: '/debug/heap?gc=1', headers: { authorization: GOOD } })
      await app.inject({ url: '/debug/profile?seconds=1&x=y', headers: { authorization: GOOD } })
      await app.inject({ url: '/debug/heap', headers: { authorization: basic('ops', 'wrong-password') } })
      await app.inject({ url: '/debug/stats', headers: { authorization: GOOD } })
    } finally {
      await app.close()
    }
    const audits = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.audit === 'fastify-pprof')
    expect(audits).toHaveLength(3)
    expect(audits[0]).toMatchObject({ user: 'ops', route: '/debug/heap', params: { gc: '1' }, status: 200 })
    expect(audits[1]).toMatchObject({ user: 'ops', route: '/debug/profile', params: { seconds: '1', x: 'y' }, status: 200 })
    expect(audits[1].durationMs).toBeGreaterThanOrEqual(900)
    expect(audits[2]).toMatchObject({ route: '/debug/heap', status: 401 })
    const all = logs.lines.join('\n')
    expect(all).not.toContain(AUTH.password)
    expect(all).not.toContain('wrong-password')
    expect(all).not.toMatch(/basic [a-z0-9+/=]{8,}/i)
  })
})

describe('hosts and pages', () => {
  it('works beside a host that uses @fastify/basic-auth itself', async () => {
    const host = Fastify()
    await host.register(fastifyBasicAuth, { validate: async (u, p) => { if (u !== 'web' || p !== 'site') throw new Error('no') } })
    host.after(() => { host.get('/private', { onRequest: host.basicAuth }, async () => 'private') })
    await host.register(fastifyPprof, { auth: AUTH })
    try {
      expect((await host.inject({ url: '/private', headers: { authorization: basic('web', 'site') } })).statusCode).toBe(200)
      expect((await host.inject({ url: '/private', headers: { authorization: GOOD } })).statusCode).toBe(401)
      expect((await host.inject({ url: '/debug/heap', headers: { authorization: GOOD } })).statusCode).toBe(200)
      expect((await host.inject({ url: '/debug/heap', headers: { authorization: basic('web', 'site') } })).statusCode).toBe(401)
    } finally {
      await host.close()
    }
  })

  it.each(['/debug', '/debug/pprof/'])('%s has a strict Content-Security-Policy and cannot be framed', async (url) => {
    const app = await build()
    try {
      const res = await app.inject(url)
      expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/)
      expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/)
      expect(res.headers['x-frame-options']).toBe('DENY')
    } finally {
      await app.close()
    }
  })
})

describe('every route, with and without credentials', () => {
  it('needs auth everywhere under the prefix and answers without 5xx with it', async () => {
    const routes: Array<{ method: string, url: string }> = []
    const app = Fastify()
    app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) if (r.url.startsWith('/debug')) routes.push({ method, url: r.url })
    })
    await app.register(fastifyPprof, { auth: AUTH, maxProfileSeconds: 1, defaultProfileSeconds: 1 })
    await app.ready()
    try {
      expect(routes.length).toBeGreaterThan(20)
      for (const { method, url } of routes) {
        const without = await app.inject({ method: method as 'GET', url })
        expect(without.statusCode, `${method} ${url}`).toBe(401)
        expect(without.headers['x-content-type-options']).toBe('nosniff')
        expect(without.headers['cache-control']).toBe('no-store')
        const withCreds = await app.inject({ method: method as 'GET', url, headers: { authorization: GOOD } })
        // 501 is the one deliberate 5xx: Go's execution trace has no Node equivalent.
        expect(withCreds.statusCode, `${method} ${url}`).toBeLessThan(url.endsWith('/trace') ? 502 : 500)
        expect(withCreds.statusCode, `${method} ${url}`).not.toBe(401)
        expect(withCreds.headers['x-content-type-options']).toBe('nosniff')
      }
    } finally {
      await app.close()
    }
  })
})

describe('listening', () => {
  it('answers 401 to a real client without credentials and never leaks the Authorization header back', async () => {
    const app = await build({ auth: AUTH })
    await app.listen({ host: '127.0.0.1', port: 0 })
    try {
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
      const res = await fetch(`${base}/debug/heap`)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="fastify-pprof", charset="UTF-8"')
      expect(await res.text()).toBe('Unauthorized\n')
    } finally {
      await app.close()
    }
  })
})

export type { FastifyInstance }
