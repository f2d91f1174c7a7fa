// GET /debug/leaks/retainers: opt-in, refused with its estimate when the
// options' limits forbid the cost, one at a time, and, from its second call
// on, names who keeps what this test file's own module-level Map gained in
// between (by size; retainers-app.test.ts checks the names on a plain app);
// the snapshot file never outlives the request.
import { existsSync, readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { Session } from 'node:inspector'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { heavyHolder } from '../src/profiler/process-guard.js'
import { build } from './support/app.js'
import { until } from './support/wait.js'

class Kept { constructor (readonly i: number) {} }
// The holder this file grows between two calls.
const leakyMap = new Map<Kept, { at: number }>()

let dir: string | undefined
beforeAll(async () => {
  if (!existsSync(new URL('../dist/retainers/worker.js', import.meta.url))) throw new Error('dist/ is missing: npm run build first (npm test does)')
  dir = await mkdtemp(join(os.tmpdir(), 'retainers-route-'))
})
afterAll(async () => { if (dir !== undefined) await rm(dir, { recursive: true, force: true }) })

interface Answer {
  baseline: boolean
  idsReset: boolean
  note: string
  watermark: number | null
  maxNodeId: number
  nodes: { total: number, new: number }
  clusters: Array<{ path: string, count: number, objects: Array<{ name: string, count: number }> }>
  snapshot: { stallMs: number, estimate: { nodes: number, stallMs: number, basis: string } }
  suspects: unknown[] | null
}

const leftovers = (): string[] => readdirSync(dir as string)

describe('GET /debug/leaks/retainers', () => {
  it('is off unless enabled, and a HEAD takes no snapshot', async () => {
    const off = await build({ leakWatch: { dir: dir as string } })
    // Limits past any heap: the defaults refuse a first call on a worker whose heap passed ~35 MB (a whole-suite run).
    const on = await build({ leakWatch: { dir: dir as string }, retainers: { maxStallSeconds: 3600, maxExtraMemoryMB: 1_000_000 } })
    try {
      expect((await off.inject('/debug/leaks/retainers')).statusCode).toBe(404)
      const head = await on.inject({ method: 'HEAD', url: '/debug/leaks/retainers' })
      expect(head.statusCode).toBe(200)
      // Had it taken one, the next call would not be the base.
      expect((await on.inject('/debug/leaks/retainers')).json<Answer>().baseline).toBe(true)
    } finally {
      await off.close()
      await on.close()
    }
  })

  it('refuses with its estimate, before writing anything, when the limits forbid the cost', async () => {
    const app = await build({ leakWatch: { dir: dir as string }, retainers: { maxStallSeconds: 1, maxExtraMemoryMB: 1 } })
    try {
      const res = await app.inject('/debug/leaks/retainers')
      expect(res.statusCode).toBe(409)
      // Errors are text, as Go's pprof answers them.
      const body = { message: res.payload }
      expect(body.message).toMatch(/^retainer analysis refused: a heap snapshot of this heap /)
      const m = /\((\d+) MB used, about ([\d.]+) (M|k) nodes.*\) would stop the event loop for about ([\d.]+) (s|ms) and need about (\d+) MB of extra memory/.exec(body.message)
      expect(m, body.message).not.toBeNull()
      // The estimate is the heap's: its size as this process sees it, and the stall and memory that follow.
      const heapMB = process.memoryUsage().heapUsed / 1024 / 1024
      expect(Number(m?.[1])).toBeGreaterThan(heapMB / 2)
      expect(Number(m?.[1])).toBeLessThan(heapMB * 2)
      expect(Number(m?.[6])).toBeGreaterThan(1)
      expect(body.message).toContain('retainers.maxStallSeconds is 1 and retainers.maxExtraMemoryMB is 1')
      expect(leftovers()).toEqual([])
      expect(heavyHolder()).toBeUndefined()
    } finally {
      await app.close()
    }
  })

  it('answers 503 before writing anything when the machine has not the memory the estimate needs', async () => {
    const freemem = vi.spyOn(os, 'freemem').mockReturnValue(1024 * 1024)
    const app = await build({ leakWatch: { dir: dir as string }, retainers: { maxStallSeconds: 3600, maxExtraMemoryMB: 1_000_000 } })
    try {
      const res = await app.inject('/debug/leaks/retainers')
      expect(res.statusCode).toBe(503)
      expect(res.payload).toMatch(/^not enough memory for a heap snapshot: needs about \d+ MB, 1 MB available\n$/)
      expect(leftovers()).toEqual([])
      expect(heavyHolder()).toBeUndefined()
    } finally {
      freemem.mockRestore()
      await app.close()
    }
  })

  it('takes a base first, one call at a time, then names the holder of what grew since; a renumbering starts over', async () => {
    const app = await build({ leakWatch: { dir: dir as string }, retainers: { maxStallSeconds: 600, maxExtraMemoryMB: 1_000_000 } })
    try {
      const [a, b] = await Promise.all([app.inject('/debug/leaks/retainers'), app.inject('/debug/leaks/retainers')])
      const [first, busy] = a.statusCode === 200 ? [a, b] : [b, a]
      expect(first.statusCode).toBe(200)
      expect(busy.statusCode).toBe(409)
      expect(busy.payload).toBe('Could not enable profiling: retainer analysis already in use\n')
      expect(Number(busy.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      const base = first.json<Answer>()
      expect(base).toMatchObject({ baseline: true, idsReset: false, watermark: null, clusters: [] })
      expect(base.note).toContain('call again')
      expect(base.nodes.total).toBeGreaterThan(10_000)
      expect(base.snapshot.stallMs).toBeGreaterThan(0)
      expect(leftovers()).toEqual([])

      for (let i = 0; i < 3000; i++) leakyMap.set(new Kept(i), { at: i })
      const res = await app.inject('/debug/leaks/retainers')
      expect(res.statusCode).toBe(200)
      const next = res.json<Answer>()
      expect(next.baseline).toBe(false)
      expect(next.watermark).toBe(base.maxNodeId)
      expect(next.maxNodeId).toBeGreaterThan(base.maxNodeId)
      // Largest first: the Map's 3000 entries. (Its path runs through vitest's wrappers; the naming of the
      // variable is checked on a plain app, in retainers-app.test.ts.)
      const top = next.clusters[0]
      expect(top?.objects).toContainEqual({ name: 'Kept', count: 3000 })
      expect(top?.path).toMatch(/Map$/)
      expect(next.nodes.new).toBeGreaterThanOrEqual(top?.count ?? Infinity)
      expect(Array.isArray(next.suspects)).toBe(true)
      // The second estimate rests on the first snapshot's own nodes per heap byte (the heap used moves with GC).
      expect(base.snapshot.estimate.basis).toBe('assumed')
      expect(next.snapshot.estimate.basis).toBe('measured')
      expect(next.snapshot.estimate.nodes / next.nodes.total).toBeGreaterThan(0.5)
      expect(next.snapshot.estimate.nodes / next.nodes.total).toBeLessThan(2)
      expect(leftovers()).toEqual([])

      // An inspector session's HeapProfiler.disable throws V8's object ids away: nothing can be called new.
      const session = new Session()
      session.connect()
      session.post('HeapProfiler.enable')
      session.post('HeapProfiler.disable')
      session.disconnect()
      const text = await app.inject('/debug/leaks/retainers?debug=1')
      expect(text.statusCode).toBe(200)
      expect(text.headers['content-type']).toMatch(/^text\/plain/)
      expect(text.payload).toContain('V8 numbered its objects anew')
      expect(text.payload).toMatch(/cost: the event loop stopped [\d.]+ m?s \(estimated [\d.]+ m?s for \d+ nodes, measured\)/)
      expect(text.payload).not.toContain('leakyMap')
      expect(leftovers()).toEqual([])
      expect(heavyHolder()).toBeUndefined()
    } finally {
      await app.close()
    }
  })

  it('stops the worker when the client goes away, and deletes the snapshot', async () => {
    let log = ''
    const stream = new Writable({ write (chunk: Buffer, _enc, done) { log += chunk.toString(); done() } })
    const app = await build({ leakWatch: { dir: dir as string }, retainers: { maxStallSeconds: 600, maxExtraMemoryMB: 1_000_000 } }, { logger: { level: 'info', stream } })
    await app.listen({ host: '127.0.0.1', port: 0 })
    try {
      const port = (app.server.address() as AddressInfo).port
      const req = request({ host: '127.0.0.1', port, path: '/debug/leaks/retainers' })
      req.on('error', () => {})
      req.end()
      // Gone while V8 writes the snapshot: the server sees it once the stall ends, while the worker parses.
      await until(() => heavyHolder() !== undefined)
      req.destroy()
      await until(() => log.includes('client went away; retainer analysis stopped'), 30_000)
      await until(() => heavyHolder() === undefined && leftovers().length === 0)
    } finally {
      await app.close()
    }
  })
})
