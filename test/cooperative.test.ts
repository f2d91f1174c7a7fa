// The non-blocking promise: a big profile's conversion gives the event loop
// back between slices (another callback runs during it), and a client that
// goes away in the middle of encoding stops the work and frees the profiler.
// This file's registration starts V8's sampler at the smallest interval, so
// a few thousand retained objects make a profile of thousands of stacks.
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { heavyHolder } from '../src/profiler/process-guard.js'
import { build } from './support/app.js'
import { until, untilAsync } from './support/wait.js'

const calls = vi.hoisted(() => ({ ticksDuringBuild: [] as number[], outcomes: [] as string[], onBuild: undefined as (() => Promise<void>) | undefined }))

vi.mock('../src/pprof/builder.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/pprof/builder.js')>()
  return {
    ...original,
    // Counts the callbacks another part of the app gets to run while a profile is written.
    buildProfile: async (...args: Parameters<typeof original.buildProfile>) => {
      await calls.onBuild?.()
      let ticks = 0
      let running = true
      const tick = (): void => { if (running) { ticks++; setImmediate(tick) } }
      setImmediate(tick)
      try {
        const raw = await original.buildProfile(...args)
        calls.outcomes.push('written')
        return raw
      } catch (err) {
        calls.outcomes.push(`stopped: ${(err as Error).message}`)
        throw err
      } finally {
        running = false
        calls.ticksDuringBuild.push(ticks)
      }
    }
  }
})

const kept: unknown[] = []

/** Thousands of distinct allocation sites, each its own function: a profile of thousands of stacks. */
function retainManySites (sites: number): void {
  for (let s = 0; s < sites; s++) {
    // eslint-disable-next-line no-new-func
    const site = new Function('n', `return function site${s} () { const a = new Array(n); for (let i = 0; i < n; i++) a[i] = { s: ${s}, i }; return a }`)(64) as () => unknown
    kept.push(site())
  }
}

let app: Awaited<ReturnType<typeof build>>
beforeAll(async () => {
  app = await build({ heapIntervalBytes: 1024, leakWatch: false })
  retainManySites(4000)
})
afterAll(async () => { await app.close() })

describe('a big heap profile', () => {
  it('is written in slices: other callbacks run while it is converted', async () => {
    const before = calls.ticksDuringBuild.length
    const res = await app.inject('/debug/heap')
    expect(res.statusCode).toBe(200)
    const ticks = calls.ticksDuringBuild.slice(before)
    expect(ticks).toHaveLength(1)
    expect(ticks[0]).toBeGreaterThan(0)
  })

  it('stops in the middle of encoding when its client goes away, and frees the profiler', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 })
    const port = (app.server.address() as { port: number }).port
    const outcomes = calls.outcomes.length
    let req: ReturnType<typeof request> | undefined
    // The moment the delta starts being written, the client hangs up; the server has seen it go (its socket
    // closed) when the writing goes on. Once only: the profile fetched afterwards is written through the same hook.
    calls.onBuild = async () => {
      calls.onBuild = undefined
      req?.destroy()
      const open = async (): Promise<number> => await new Promise((resolve) => app.server.getConnections((_err, n) => resolve(n)))
      await untilAsync(async () => await open() === 0)
    }
    try {
      const closed = new Promise<void>((resolve) => {
        req = request({ host: '127.0.0.1', port, path: '/debug/heap?seconds=1' })
        req.on('error', () => resolve())
        req.on('close', () => resolve())
        req.end()
      })
      // Thousands of new sites inside the window: a delta of thousands of stacks to write.
      await until(() => heavyHolder() === 'heap delta')
      retainManySites(6000)
      await closed
      await until(() => heavyHolder() === undefined, 10_000)
      // It was being written, across several turns of the loop, when it stopped; the profiler is free.
      expect(calls.outcomes.slice(outcomes)).toEqual(['stopped: client disconnected'])
      expect(calls.ticksDuringBuild.at(-1)).toBeGreaterThan(0)
      expect((await fetch(`http://127.0.0.1:${port}/debug/profile?seconds=1`)).status).toBe(200)
    } finally {
      calls.onBuild = undefined
    }
  })
})
