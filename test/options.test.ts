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
    ['defaultProfileSeconds', { maxProfileSeconds: 10, defaultProfileSeconds: 11 }],
    // Every other option, each with a value of the wrong type and one out of range.
    ['exposeWithoutAuth', { exposeWithoutAuth: 'yes' }],
    ['authRateLimit', { authRateLimit: 5 }],
    ['authRateLimit.maxFailures', { authRateLimit: { maxFailures: 0 } }],
    ['authRateLimit.windowMs', { authRateLimit: { windowMs: 10 } }],
    ['authRateLimit.maxAddresses', { authRateLimit: { maxAddresses: '10' } }],
    ['auth.validate', { auth: { validate: 'yes' } }],
    ['auth', { auth: { username: 'ops', password: 'x', validate: () => true } }],
    ['heapStackDepth', { heapStackDepth: 0 }],
    ['heapStackDepth', { heapStackDepth: '64' }],
    ['cpuSamplingHz', { cpuSamplingHz: 100.5 }],
    ['defaultProfileSeconds', { defaultProfileSeconds: 0 }],
    ['symbolTableSize', { symbolTableSize: -1 }],
    ['symbolTableSize', { symbolTableSize: 1e9 }],
    ['statsIntervalMs', { statsIntervalMs: 99 }],
    ['historySeconds', { historySeconds: -1 }],
    ['historySeconds', { historySeconds: 8 * 86_400 }],
    ['costlyStatsIntervalMs', { costlyStatsIntervalMs: 50 }],
    ['exposeArgv', { exposeArgv: 1 }],
    ['heapSnapshot', { heapSnapshot: 'true' }],
    ['sourceMaps', { sourceMaps: 'yes' }],
    ['sourceMaps', { sourceMaps: { searchDirs: ['relative'] } }],
    ['sourceMaps', { sourceMaps: { searchDirs: [] } }],
    ['leakWatch', { leakWatch: 'on' }],
    ['leakWatch.intervalMs', { leakWatch: { intervalMs: 99 } }],
    ['leakWatch.keep', { leakWatch: { keep: 1 } }],
    ['leakWatch.dir', { leakWatch: { dir: 'relative/dir' } }],
    ['leakWatch.nearHeapLimit', { leakWatch: { nearHeapLimit: 1.5 } }],
    ['retainers', { retainers: 'yes' }],
    ['retainers.maxStallSeconds', { retainers: { maxStallSeconds: 0 } }],
    ['retainers.maxExtraMemoryMB', { retainers: { maxExtraMemoryMB: 1.5 } }],
    ['requests', { requests: 'on' }],
    ['requests', { requests: null }],
    ['requests.slowMs', { requests: { slowMs: 0 } }],
    ['requests.slowMs', { requests: { slowMs: '5000' } }],
    ['requests.max', { requests: { max: 0 } }],
    ['requests.max', { requests: { max: 2e6 } }],
    ['stallWatch', { stallWatch: 'on' }],
    ['stallWatch', { stallWatch: null }],
    ['stallWatch.thresholdMs', { stallWatch: { thresholdMs: 19 } }],
    ['stallWatch.thresholdMs', { stallWatch: { thresholdMs: '200' } }],
    ['stallWatch.keep', { stallWatch: { keep: 0 } }],
    ['stallWatch.keep', { stallWatch: { keep: 1.5 } }]
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
