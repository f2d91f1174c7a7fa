// The census names who keeps what grows: five leaks whose keeper allocates almost nothing itself (the
// memory is the requests', allocated by Node's HTTP parser and Fastify), each in its own process with no V8
// flags and plain request traffic; the holder must come first in /leaks' holders, named by its variable or
// property and its file. The leak-free twins (an LRU at its bound, per-connection state deleted at close,
// a cache that fills and stops) must name no holder over a full window of censuses.
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { Holder } from '../src/census/holders.js'
import { type ListeningChild, startListening } from './support/child.js'
import { sleep } from './support/wait.js'

const APP = fileURLToPath(new URL('./fixtures/holders/app.mjs', import.meta.url))
const REPO = fileURLToPath(new URL('..', import.meta.url))

interface Leaks { verdict: string, holders: Holder[] }
interface Census { censuses: number, available: boolean, lastMaxSliceMs: number, lastObjects: number }

/** The app with one pattern, and traffic from this process: a few requests every 50 ms, one in four on a connection of its own. */
async function start (pattern: string): Promise<ListeningChild> {
  const app = await startListening([APP, pattern], { cwd: REPO, env: { ...process.env, LEAK_INTERVAL_MS: '300' } })
  const traffic = new AbortController()
  const load = (async () => {
    while (!traffic.signal.aborted) {
      await Promise.all(Array.from({ length: 4 }, async (_, i) => await fetch(`${app.url}/work`, i === 0 ? { headers: { connection: 'close' } } : {})
        .then(async (r) => await r.arrayBuffer()).catch(() => {})))
      await sleep(50)
    }
  })()
  return { ...app, stop: async () => { traffic.abort(); await load; await app.stop() } }
}

async function leaksOf (app: ListeningChild): Promise<Leaks> {
  const res = await fetch(`${app.url}/debug/leaks`)
  expect(res.status).toBe(200)
  return await res.json() as Leaks
}

async function censusOf (app: ListeningChild): Promise<Census> {
  const res = await fetch(`${app.url}/debug/stats`)
  return (await res.json() as { node: { census: Census } }).node.census
}

describe('the census names the holder first', () => {
  it.each([
    ['cjs-map-by-request', /› pending$/, 'lib/request-memo.cjs', 'Map', 'IncomingMessage'],
    ['esm-context-array', /› requestContexts$/, 'lib/contexts.mjs', 'Array', 'Object'],
    ['listeners', /› bus › listeners 'config'$/, 'lib/bus.cjs', 'listeners', undefined],
    ['decorated-service', /^app › sessions › #byId$/, undefined, 'Map', 'Object'],
    ['als-contexts', /› alsSeen$/, 'holders/app.mjs', 'Array', 'Object']
  ])('%s', async (pattern, path, file, kind, sampled) => {
    const app = await start(pattern)
    try {
      const started = Date.now()
      let report: Leaks | undefined
      while (Date.now() - started < 60_000) {
        report = await leaksOf(app)
        if (report.holders.length > 0) break
        await sleep(300)
      }
      const census = await censusOf(app)
      console.log(`${pattern}: holder after ${((Date.now() - started) / 1000).toFixed(1)} s, ${census.censuses} censuses of ${census.lastObjects} objects: ${JSON.stringify(report?.holders[0])}`)
      const first = report?.holders[0]
      expect(first, app.output()).toBeDefined()
      expect(first?.path).toMatch(path)
      if (file !== undefined) expect(first?.file).toMatch(new RegExp(`${file.replace('.', '\\.')}$`))
      expect(first?.kind).toBe(kind)
      expect(first?.growth).toBeGreaterThanOrEqual(32)
      expect(first?.entries).toBeGreaterThan(first?.growth ?? Infinity)
      if (sampled !== undefined) expect([...first?.sample.keys ?? [], ...first?.sample.values ?? []]).toContain(sampled)
      expect(report?.verdict).toBe('growing')
    } finally {
      await app.stop()
    }
  }, 90_000)
})

describe('the leak-free twins name no holder', () => {
  it.each(['lru', 'per-connection', 'fill-and-stop'])('%s', async (pattern) => {
    const app = await start(pattern)
    try {
      let census = await censusOf(app)
      const started = Date.now()
      // A full window and more: 24 censuses are kept, a holder needs 8.
      while (census.censuses < 16 && Date.now() - started < 80_000) {
        const report = await leaksOf(app)
        expect(report.holders, JSON.stringify(report.holders)).toEqual([])
        await sleep(300)
        census = await censusOf(app)
      }
      expect(census.available).toBe(true)
      expect(census.censuses).toBeGreaterThanOrEqual(16)
      expect((await leaksOf(app)).holders).toEqual([])
    } finally {
      await app.stop()
    }
  }, 90_000)
})
