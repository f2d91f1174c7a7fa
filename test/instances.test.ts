import { describe, expect, it } from 'vitest'
import { heapEngineName, heavyHolder } from '../src/profiler/process-guard.js'
import { build } from './support/app.js'
import { decodeProfile } from './support/decode.js'
import { samplerRunning, startForeignSampler } from './support/heap-sampler.js'
import { until } from './support/wait.js'

let kept: Array<{ i: number, label: string }> = []
// A plain loop in a function too big to inline (pitfalls.md): the samples are charged to it.
function keepForInstancesTest (count: number): void {
  for (let i = 0; i < count; i++) {
    kept.push({ i, label: 'kept' })
    if (i % 50_000 === 0) kept.length += 0
  }
}

describe('two Fastify instances in one process', () => {
  it('share V8\'s heap sampler, keep their own state, and stop it when the last one closes', async () => {
    expect(samplerRunning()).toBe(false)
    const a = await build({ prefix: '/a' })
    const b = await build({ prefix: '/b', symbolTableSize: 10 })
    try {
      expect(samplerRunning()).toBe(true)
      // Allocated after both registered: each instance's profile must show it, the sampler being one.
      keepForInstancesTest(100_000)
      for (const [app, prefix] of [[a, '/a'], [b, '/b']] as const) {
        const res = await app.inject(`${prefix}/heap`)
        expect(res.statusCode).toBe(200)
        expect(decodeProfile(res.rawPayload).flat('inuse_space').get('keepForInstancesTest')).toBeGreaterThan(1024 * 1024)
      }
      // Symbols handed out by one instance are not known to the other.
      const text = (await a.inject('/a/pprof/goroutine?debug=1')).payload
      const address = /@ (0x[0-9a-f]+)/.exec(text)?.[1] as string
      expect((await a.inject(`/a/pprof/symbol?${address}`)).payload).toMatch(/^num_symbols: 1\n0x[0-9a-f]+ \S+\n$/)
      expect((await b.inject(`/b/pprof/symbol?${address}`)).payload).toBe('num_symbols: 1\n')

      await a.close()
      expect(samplerRunning()).toBe(true)
      expect((await b.inject('/b/heap')).statusCode).toBe(200)
      await b.close()
      expect(samplerRunning()).toBe(false)
    } finally {
      kept = []
      await a.close()
      await b.close()
    }
  })

  it('the profiler lease is process-wide: a CPU profile in one instance makes the other answer 409', async () => {
    const a = await build()
    const b = await build()
    try {
      const pending = a.inject('/debug/profile?seconds=1')
      await until(() => heavyHolder() === 'cpu profiling')
      const busy = await b.inject('/debug/profile?seconds=1')
      expect(busy.statusCode).toBe(409)
      expect((await pending).statusCode).toBe(200)
      expect((await b.inject('/debug/profile?seconds=1')).statusCode).toBe(200)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('leaves a heap sampler it did not start running (started through the library of the engine in use)', async () => {
    // The first registration chose the process's engine; the foreign sampler uses the same library.
    const probe = await build()
    const engine = heapEngineName()
    await probe.close()
    expect(samplerRunning()).toBe(false)
    const stop = startForeignSampler(engine as NonNullable<typeof engine>, 256 * 1024, 32)
    try {
      const app = await build()
      expect((await app.inject('/debug/heap')).statusCode).toBe(200)
      await app.close()
      expect(samplerRunning()).toBe(true)
    } finally {
      stop()
    }
    expect(samplerRunning()).toBe(false)
  })
})
