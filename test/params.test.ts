import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { heavyHolder } from '../src/profiler/process-guard.js'
import { build } from './support/app.js'

let app: FastifyInstance
beforeAll(async () => { app = await build({ maxProfileSeconds: 20 }) })
afterAll(async () => { await app.close() })

// Values Ajv's coercion would let through, and their friends.
const BAD_SECONDS = ['abc', '0', '-1', '1.5', ' 5', '5 ', '0x10', '1e3', 'Infinity', 'NaN', '+5', '05', '', '21', '99999999999']

describe('strict query parameters', () => {
  for (const path of ['/debug/profile', '/debug/pprof/profile', '/debug/heap', '/debug/pprof/heap', '/debug/pprof/goroutine', '/debug/pprof/allocs']) {
    it.each(BAD_SECONDS)(`${path}?seconds=%j is a 400 naming the parameter and range`, async (value) => {
      const res = await app.inject({ url: path, query: { seconds: value } })
      expect(res.statusCode).toBe(400)
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
      expect(res.headers['x-go-pprof']).toBe('1')
      expect(res.payload).toBe('invalid value for "seconds" - must be a positive integer from 1 to 20\n')
      expect(heavyHolder()).toBeUndefined()
    })

    it(`${path} refuses a repeated seconds`, async () => {
      const res = await app.inject({ url: `${path}?seconds=1&seconds=2` })
      expect(res.statusCode).toBe(400)
      expect(res.payload).toContain('"seconds"')
    })
  }

  it.each(['2', 'yes', '-1', '01', ''])('heap ?gc=%j is a 400', async (value) => {
    const res = await app.inject({ url: '/debug/heap', query: { gc: value } })
    expect(res.statusCode).toBe(400)
    expect(res.payload).toBe('invalid value for "gc" - must be one of 0, 1\n')
  })

  it.each(['3', '-1', 'x'])('?debug=%j is a 400', async (value) => {
    const res = await app.inject({ url: '/debug/pprof/heap', query: { debug: value } })
    expect(res.statusCode).toBe(400)
    expect(res.payload).toContain('"debug"')
  })

  it('refuses seconds with debug, in Go\'s words', async () => {
    const res = await app.inject('/debug/heap?seconds=1&debug=1')
    expect(res.statusCode).toBe(400)
    expect(res.payload).toBe('seconds and debug params are incompatible\n')
  })

  it('ignores unknown parameters, as Go does', async () => {
    const res = await app.inject('/debug/heap?foo=bar&gc=0')
    expect(res.statusCode).toBe(200)
  })

  it('refuses a profile longer than the server\'s connection timeout (Go #18755)', async () => {
    const short = await build({}, { connectionTimeout: 2000 })
    try {
      const res = await short.inject('/debug/profile?seconds=2')
      expect(res.statusCode).toBe(400)
      expect(res.payload).toMatch(/^profile duration exceeds server's WriteTimeout/)
    } finally {
      await short.close()
    }
  })
})
