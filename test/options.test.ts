import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import fastifyPprof, { DEFAULTS, errors } from '../src/index.js'
import { resolveOptions } from '../src/options.js'

describe('resolveOptions', () => {
  it('fills every default', () => {
    const r = resolveOptions()
    expect(r).toMatchObject({
      prefix: '/debug',
      auth: undefined,
      heapIntervalBytes: 524288,
      heapStackDepth: 64,
      cpuSamplingHz: 100,
      defaultProfileSeconds: 30,
      maxProfileSeconds: 300
    })
    expect(Object.isFrozen(r)).toBe(true)
    expect(DEFAULTS.prefix).toBe('/debug')
  })

  it('does not write into the caller\'s object', () => {
    const opts = { auth: { username: 'ops', password: 'secret' } }
    const copy = structuredClone(opts)
    const r = resolveOptions(opts)
    expect(opts).toEqual(copy)
    expect(r.auth?.realm).toBe('fastify-pprof')
  })

  it('normalises a trailing slash on the prefix', () => {
    expect(resolveOptions({ prefix: '/ops/debug/' }).prefix).toBe('/ops/debug')
  })

  it('caps the default profile length at the maximum', () => {
    expect(resolveOptions({ maxProfileSeconds: 10 }).defaultProfileSeconds).toBe(10)
  })

  it.each([
    ['prefix', { prefix: '' }],
    ['prefix', { prefix: '/' }],
    ['prefix', { prefix: 'debug' }],
    ['prefix', { prefix: '/de bug' }],
    ['prefix', { prefix: 7 }],
    ['auth', { auth: 'ops:secret' }],
    ['auth.username', { auth: { username: '', password: 'x' } }],
    ['auth.username', { auth: { password: 'x' } }],
    ['auth.username', { auth: { username: 'a:b', password: 'x' } }],
    ['auth.password', { auth: { username: 'ops', password: '' } }],
    ['auth.password', { auth: { username: 'ops' } }],
    ['auth.realm', { auth: { username: 'ops', password: 'x', realm: 'a"b' } }],
    ['heapIntervalBytes', { heapIntervalBytes: 0 }],
    ['heapIntervalBytes', { heapIntervalBytes: 1.5 }],
    ['cpuSamplingHz', { cpuSamplingHz: 0 }],
    ['maxProfileSeconds', { maxProfileSeconds: 10 ** 9 }],
    ['defaultProfileSeconds', { maxProfileSeconds: 10, defaultProfileSeconds: 11 }]
  ])('rejects a bad %s', (name, opts) => {
    expect(() => resolveOptions(opts as never)).toThrow(errors.FST_PPROF_INVALID_OPTION)
    expect(() => resolveOptions(opts as never)).toThrow(`"${name}"`)
  })

  it('fails registration (fail closed) on half-filled credentials', async () => {
    const app = Fastify()
    await expect(app.register(fastifyPprof, { auth: { username: 'ops', password: '' } }).ready())
      .rejects.toMatchObject({ code: 'FST_PPROF_INVALID_OPTION' })
    await app.close()
  })
})
