// The census's safety: it runs none of the app's code (getters, Proxy traps, toJSON, inspect hooks), keeps
// nothing it saw alive past a census, shows whether it is available in /stats, and two registrations in one
// process each run their own.
import Fastify, { type FastifyInstance } from 'fastify'
import { inspect } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import fastifyPprof from '../src/index.js'
import { untilAsync } from './support/wait.js'

interface CensusStats { enabled: boolean, available: boolean, reason: string | null, censuses: number, lastObjects: number }

const apps: FastifyInstance[] = []
afterEach(async () => { await Promise.all(apps.splice(0).map(async (a) => await a.close())) })

async function appWith (held: () => unknown, options: object = {}): Promise<FastifyInstance> {
  const app = Fastify()
  apps.push(app)
  await app.register(fastifyPprof, { leakWatch: { intervalMs: 100 }, ...options })
  // The route's closure holds what the census must reach.
  app.get('/held', async () => typeof held())
  await app.ready()
  return app
}

async function census (app: FastifyInstance): Promise<CensusStats> {
  const res = await app.inject('/debug/stats')
  return (res.json() as { node: { census: CensusStats } }).node.census
}

async function censusesDone (app: FastifyInstance, n: number): Promise<void> {
  await untilAsync(async () => (await census(app)).censuses >= n, 30_000, 20)
}

describe('the census runs none of the app\'s code', () => {
  it('no getter, Proxy trap, toJSON or inspect hook is called, and the Map beside them is counted', async () => {
    const called: string[] = []
    const growing = new Map<number, object>()
    const trap = (name: string) => () => { called.push(name); throw new Error(`${name} ran`) }
    const traps = {
      get getter () { called.push('getter'); return new Map() },
      toJSON: trap('toJSON'),
      [inspect.custom]: trap('inspect'),
      proxy: new Proxy({ inside: new Map([[1, 1]]) }, {
        get: trap('proxy get'),
        ownKeys: trap('proxy ownKeys'),
        getOwnPropertyDescriptor: trap('proxy getOwnPropertyDescriptor'),
        getPrototypeOf: trap('proxy getPrototypeOf'),
        has: trap('proxy has')
      }),
      instance: new (class Hooked {
        get size () { called.push('class getter'); return 0 }
        static get [Symbol.species] () { called.push('species'); return Map }
      })(),
      growing
    }
    Object.defineProperty(traps, 'constructor', { get: trap('constructor getter') })
    const app = await appWith(() => traps)
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 50; i++) growing.set(growing.size, {})
      const before = (await census(app)).censuses
      await censusesDone(app, before + 1)
    }
    expect(called).toEqual([])
    const leaks = (await app.inject('/debug/leaks')).json() as { holders: Array<{ path: string, kind: string, entries: number }> }
    const holder = leaks.holders.find((h) => h.path.endsWith('traps › growing'))
    expect(holder, JSON.stringify(leaks.holders)).toBeDefined()
    expect(holder?.kind).toBe('Map')
    expect(holder?.entries).toBe(growing.size)
  }, 60_000)
})

describe('the census keeps nothing alive', () => {
  it('an object it counted is collected once the app lets go of it', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    setFlagsFromString('--no-expose-gc')
    let held: { kept: Map<number, object> } | undefined = { kept: new Map([[1, {}]]) }
    const ref = new WeakRef(held.kept)
    const app = await appWith(() => held)
    await censusesDone(app, 2)
    held = undefined
    // The census's own next run must not hold it either: collect between runs until it is gone.
    await untilAsync(async () => {
      gc()
      return ref.deref() === undefined
    }, 10_000, 50)
    expect(ref.deref()).toBeUndefined()
  }, 30_000)
})

describe('the census in /stats', () => {
  it('says it is available and counts what it walked', async () => {
    const app = await appWith(() => null)
    await censusesDone(app, 1)
    const stats = await census(app)
    expect(stats).toMatchObject({ enabled: true, available: true, reason: null })
    expect(stats.lastObjects).toBeGreaterThan(1000)
  })

  it('says it is off with leakWatch.census: false, and never runs', async () => {
    const app = await appWith(() => null, { leakWatch: { intervalMs: 100, census: false } })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await census(app)).toMatchObject({ enabled: false, available: false })
  })

  it('rejects a census option that is not a boolean', async () => {
    const app = Fastify()
    apps.push(app)
    await expect(app.register(fastifyPprof, { leakWatch: { census: 'yes' as unknown as boolean } })).rejects.toThrow(/leakWatch.census/)
  })
})

describe('two registrations in one process', () => {
  it('each runs its own census and names the same holder', async () => {
    const growing: number[] = []
    const a = await appWith(() => growing)
    const b = await appWith(() => growing)
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 50; i++) growing.push(i)
      const [na, nb] = [(await census(a)).censuses, (await census(b)).censuses]
      await censusesDone(a, na + 1)
      await censusesDone(b, nb + 1)
    }
    for (const app of [a, b]) {
      const leaks = (await app.inject('/debug/leaks')).json() as { holders: Array<{ path: string, entries: number }> }
      expect(leaks.holders.some((h) => h.path.endsWith('(closure) › growing') && h.entries === growing.length), JSON.stringify(leaks.holders)).toBe(true)
    }
  }, 60_000)
})
