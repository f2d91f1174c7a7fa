// The leak watch on real leak patterns, each in its own process: the leaking
// function must be named first within a few captures' time, and the
// leak-free twins (churn, a cache that warms up and stops, steady load) must
// raise nothing over a full ring; and a leak that kills its process leaves
// its profiles behind.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { LeakReport } from '../src/leaks/analysis.js'
import { decodeProfile } from './support/decode.js'
import { describeRun, goPprof, parseTop, requireGo } from './support/go-pprof.js'
import { startLeakApp } from './support/leak-app.js'
import { sleep } from './support/wait.js'

interface Leaks extends LeakReport { keep: number, intervalMs: number }

async function leaksOf (url: string): Promise<Leaks> {
  const res = await fetch(`${url}/debug/leaks`)
  expect(res.status).toBe(200)
  return await res.json() as Leaks
}

describe('the leak watch names each leak pattern first', () => {
  it.each([
    ['map-by-request', 'rememberRequestForLeakTest'],
    ['listeners', 'addListenerForLeakTest'],
    ['interval-closure', 'startSessionTimerForLeakTest'],
    ['unbounded-cache', 'cacheResponseForLeakTest']
  ])('%s: %s', async (pattern, leaking) => {
    const app = await startLeakApp(pattern)
    try {
      const started = Date.now()
      let report: Leaks | undefined
      while (Date.now() - started < 90_000) {
        report = await leaksOf(app.url)
        if (report.verdict === 'growing' && report.suspects[0]?.function === leaking) break
        await sleep(300)
      }
      console.log(`${pattern}: ${leaking} named first after ${((Date.now() - started) / 1000).toFixed(1)} s, ${report?.postGcCaptures} of ${report?.captures} captures after a major GC`)
      expect(report?.verdict, JSON.stringify(report?.suspects.slice(0, 3))).toBe('growing')
      const top = report?.suspects[0]
      expect(top?.function).toBe(leaking)
      expect(top?.file).toMatch(/fixtures\/leaks\/app\.mjs$/)
      expect(top?.growthBytes).toBeGreaterThan(1024 * 1024)
      expect(top?.bytesPerHour).toBeGreaterThan(0)
      // The used heap's own trend is reported, not asserted: over the four seconds these take, a young
      // process's heap moves with compiled code and V8's own tables as much as with the leak (ring.test.ts
      // checks the slope on known series).
      expect(Number.isFinite(report?.heap.postGcSlopeBytesPerHour)).toBe(true)
    } finally {
      await app.stop()
    }
  }, 120_000)
})

describe('its leak-free twins raise nothing over a full ring', () => {
  it.each(['churn', 'warm-cache', 'steady'])('%s', async (pattern) => {
    const app = await startLeakApp(pattern, { LEAK_KEEP: '16' })
    try {
      let report = await leaksOf(app.url)
      while (report.postGcCaptures < report.keep) {
        await sleep(500)
        report = await leaksOf(app.url)
      }
      expect(report.verdict, JSON.stringify(report.suspects.slice(0, 3))).toBe('steady')
      expect(report.suspects).toEqual([])
    } finally {
      await app.stop()
    }
  }, 120_000)
})

describe.skipIf(!requireGo())('evidence that survives an out-of-memory crash', () => {
  it('leaves the heap and its growth in the directory, which go tool pprof opens with the leak first, and serves them at the next start', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'fastify-pprof-oom-')), 'evidence')
    try {
      const app = await startLeakApp('unbounded-cache', { LEAK_DIR: dir }, ['--crash'], ['--max-old-space-size=96'])
      const exit = await new Promise<{ code: number | null, signal: string | null }>((resolve) => {
        app.process.once('exit', (code, signal) => resolve({ code, signal }))
      })
      // V8 gave up: "Reached heap limit", then abort.
      expect(exit.signal ?? exit.code, app.output().slice(-2000)).not.toBe(0)
      expect(app.output()).toMatch(/heap limit|out of memory/i)
      expect((await stat(dir)).mode & 0o777).toBe(0o700)
      const files = await readdir(dir)
      const heap = files.find((f) => f.startsWith('heap-'))
      const growth = files.find((f) => f.startsWith('growth-'))
      expect(heap, files.join(', ')).toBeDefined()
      expect(growth, files.join(', ')).toBeDefined()
      for (const f of [heap, growth]) expect((await stat(join(dir, f as string))).mode & 0o777).toBe(0o600)
      for (const f of [heap, growth]) {
        const run = await goPprof(['-top', '-sample_index=inuse_space', join(dir, f as string)])
        expect(run.code, describeRun(run)).toBe(0)
        expect(parseTop(run.stdout).rows[0]?.name, describeRun(run)).toBe('cacheResponseForLeakTest')
      }

      const next = await startLeakApp('steady', { LEAK_DIR: dir })
      try {
        const report = await leaksOf(next.url) as Leaks & { evidence: Array<{ name: string, kind: string, beforeStart: boolean, url: string }> }
        expect(report.evidence.map((e) => [e.name, e.beforeStart]).sort()).toEqual([[growth, true], [heap, true]].sort())
        const served = await fetch(`${next.url}${report.evidence[0]?.url ?? ''}`)
        expect(served.status).toBe(200)
        expect(decodeProfile(Buffer.from(await served.arrayBuffer())).sampleTypes).toEqual(['inuse_objects/count', 'inuse_space/bytes'])
        expect((await fetch(`${next.url}/debug/leaks/evidence/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404)
      } finally {
        await next.stop()
      }
    } finally {
      await rm(dirname(dir), { recursive: true, force: true })
    }
  }, 120_000)
})
