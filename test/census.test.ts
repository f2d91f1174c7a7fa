// The census in the test's own process: it keeps nothing it saw alive past a census, and /stats says
// whether it runs. (That it runs none of the app's code, and that two registrations each run their own, is
// tested in child processes: test/holders.test.ts.)
import Fastify, { type FastifyInstance } from 'fastify'
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
    const text = (await app.inject('/debug/leaks?debug=1')).payload
    expect(text).toMatch(/^kept by: the census needs 8 counts to name a holder \(\d so far\)$/m)
  })

  it('says it is off with leakWatch.census: false, and never runs', async () => {
    const app = await appWith(() => null, { leakWatch: { intervalMs: 100, census: false } })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await census(app)).toMatchObject({ enabled: false, available: false })
    expect((await app.inject('/debug/leaks?debug=1')).payload).toMatch(/^kept by: the census is off \(leakWatch\.census: false\)$/m)
    expect((await app.inject('/debug/leaks')).json()).toMatchObject({ holders: [] })
  })

  it('rejects a census option that is not a boolean', async () => {
    const app = Fastify()
    apps.push(app)
    await expect(app.register(fastifyPprof, { leakWatch: { census: 'yes' as unknown as boolean } })).rejects.toThrow(/leakWatch.census/)
  })
})
