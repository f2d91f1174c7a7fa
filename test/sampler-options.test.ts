// heapIntervalBytes and heapStackDepth configure V8's one heap sampler, which
// the first registration in a process starts: this file's only registration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { build } from './support/app.js'
import { decodeProfile } from './support/decode.js'
import { measuredIntervalBytes } from './support/heap-sampler.js'

let app: Awaited<ReturnType<typeof build>>
beforeAll(async () => { app = await build({ heapIntervalBytes: 128 * 1024, heapStackDepth: 4, leakWatch: false }) })
afterAll(async () => { await app.close() })

let kept: Array<{ depth: number, i: number }> = []

// Allocates at the bottom of a deep recursion: a stack far deeper than 4 frames.
function allocateDeepForStackTest (depth: number): number {
  if (depth > 0) return allocateDeepForStackTest(depth - 1) + 1
  for (let i = 0; i < 100_000; i++) kept.push({ depth, i })
  return kept.length
}

describe('the heap sampler\'s options', () => {
  it('heapIntervalBytes is the interval V8 samples at, and the period profiles report', async () => {
    const small: Array<{ i: number }> = []
    for (let i = 0; i < 300_000; i++) small.push({ i })
    expect(Math.abs(measuredIntervalBytes() / (128 * 1024) - 1)).toBeLessThan(0.1)
    expect(small).toHaveLength(300_000)
    const p = decodeProfile((await app.inject('/debug/heap')).rawPayload)
    expect(Number(p.profile.period)).toBe(128 * 1024)
    expect((await app.inject('/debug/pprof/heap?debug=1')).payload).toMatch(/@ heap\/262144\n/)
  })

  it('heapStackDepth is the deepest stack a heap sample keeps', async () => {
    allocateDeepForStackTest(40)
    try {
      const p = decodeProfile((await app.inject('/debug/heap')).rawPayload)
      const stacks = p.profile.sample.map((_s, i) => p.stackNames(i))
      const deep = stacks.filter((names) => names[0] === 'allocateDeepForStackTest')
      expect(deep.length).toBeGreaterThan(0)
      for (const names of stacks) expect(names.length).toBeLessThanOrEqual(4)
      expect(Math.max(...stacks.map((n) => n.length))).toBe(4)
    } finally {
      kept = []
    }
  })
})
