// The crash threshold in bytes (issue 21): /leaks says where evidence is written, nearHeapLimit of where V8 may
// give up (80 % of the old generation's ceiling, so 72 % of it by default), in the units /stats shows the old
// generation in. Exact in a child started with --max-old-space-size, where the ceiling is that flag.
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { build } from './support/app.js'
import { startLeakApp } from './support/leak-app.js'

const MB = 1024 * 1024
const YOUNG = new Set(['new_space', 'new_large_object_space'])

interface Readings {
  nearHeapLimitBytes: number
  text: string
  heapSizeLimit: number
  oldGenerationUsed: number
}

async function readingsOf (get: (path: string) => Promise<string>): Promise<Readings> {
  const leaks = JSON.parse(await get('/debug/leaks')) as { nearHeapLimitBytes: number }
  const stats = JSON.parse(await get('/debug/stats')) as { memstats: { HeapSizeLimit: number }, node: { heapSpaces: Record<string, { used: number }> } }
  let oldGenerationUsed = 0
  for (const [name, space] of Object.entries(stats.node.heapSpaces)) if (!YOUNG.has(name)) oldGenerationUsed += space.used
  return { nearHeapLimitBytes: leaks.nearHeapLimitBytes, text: await get('/debug/leaks?debug=1'), heapSizeLimit: stats.memstats.HeapSizeLimit, oldGenerationUsed }
}

const apps: FastifyInstance[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

describe('GET /debug/leaks: nearHeapLimitBytes', () => {
  it.each([
    ['by default', undefined, 0.9, '115 MB'],
    ['with nearHeapLimit 0.5', '0.5', 0.5, '64.0 MB']
  ])('with --max-old-space-size=160, %s: that fraction of 80 %% of 160 MB, below that share of heap_size_limit', async (_label, near, fraction, text) => {
    const ofCeiling = fraction * 0.8
    const app = await startLeakApp('steady', near === undefined ? {} : { LEAK_NEAR: near }, [], ['--max-old-space-size=160'])
    try {
      const r = await readingsOf(async (path) => await (await fetch(app.url + path)).text())
      expect(r.nearHeapLimitBytes).toBe(Math.ceil(fraction * (0.8 * 160 * MB)))
      // heap_size_limit adds the young generation's reserve: the same share of it would be too late.
      expect(r.heapSizeLimit).toBeGreaterThan(160 * MB)
      expect(r.nearHeapLimitBytes).toBeLessThan(ofCeiling * r.heapSizeLimit)
      // Comparable with the old generation /stats shows (the app holds little).
      expect(r.oldGenerationUsed).toBeGreaterThan(0)
      expect(r.oldGenerationUsed).toBeLessThan(r.nearHeapLimitBytes)
      expect(r.text).toContain(`near the heap limit: profiles are written when the old generation passes ${text} (nearHeapLimit ${fraction} of where V8 may give up, 80 % of its ceiling)\n`)
    } finally {
      await app.stop()
    }
  }, 60_000)

  it('in this process: 72 % of the old generation\'s ceiling, between the old generation used now and heap_size_limit', async () => {
    const app = await build({ leakWatch: { intervalMs: 60_000 } })
    apps.push(app)
    const r = await readingsOf(async (path) => (await app.inject(path)).payload)
    expect(Number.isInteger(r.nearHeapLimitBytes)).toBe(true)
    expect(r.nearHeapLimitBytes).toBeGreaterThan(r.oldGenerationUsed)
    expect(r.nearHeapLimitBytes).toBeLessThan(0.72 * r.heapSizeLimit)
    // The ceiling is heap_size_limit less at most the 192 MB young reserve (at least half of it).
    expect(r.nearHeapLimitBytes).toBeGreaterThanOrEqual(Math.floor(0.72 * Math.max(r.heapSizeLimit - 192 * MB, r.heapSizeLimit / 2)))
  })
})
