// The census names who keeps what grows: five leaks whose keeper allocates almost nothing itself (the
// memory is the requests', allocated by Node's HTTP parser and Fastify), each in its own process with no V8
// flags and plain request traffic; the holder must come first in /leaks' holders, named by its variable or
// property and its file. The leak-free twins (an LRU at its bound, per-connection state deleted at close,
// a cache that fills and stops) must name no holder over a full window of censuses.
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { Holder } from '../src/census/holders.js'
import { launchChromium, requireChromium, screenshot, watchPage } from './support/browser.js'
import { type ListeningChild, startListening } from './support/child.js'
import { sleep } from './support/wait.js'

const APP = fileURLToPath(new URL('./fixtures/holders/app.mjs', import.meta.url))
const REPO = fileURLToPath(new URL('..', import.meta.url))

interface Leaks { verdict: string, holders: Holder[] }
interface Census { censuses: number, available: boolean, lastMaxSliceMs: number, lastObjects: number }

/** The app with one pattern, and traffic from this process: a few requests every 50 ms, one in four on a connection of its own. */
async function start (pattern: string, env: NodeJS.ProcessEnv = {}): Promise<ListeningChild> {
  const app = await startListening([APP, pattern], { cwd: REPO, env: { ...process.env, LEAK_INTERVAL_MS: '300', ...env } })
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

async function leaksOf (app: { url: string }): Promise<Leaks> {
  const res = await fetch(`${app.url}/debug/leaks`)
  expect(res.status).toBe(200)
  return await res.json() as Leaks
}

async function censusOf (app: ListeningChild): Promise<Census> {
  const res = await fetch(`${app.url}/debug/stats`)
  return (await res.json() as { node: { census: Census } }).node.census
}

// Each test waits mostly for censuses in its own child: they run side by side.
describe.concurrent('the census names the holder first', () => {
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
      while (Date.now() - started < 100_000) {
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
  }, 130_000)
})

/** Polls /leaks until a holder whose path matches shows up (100 s at most). */
async function holderMatching (app: { url: string }, path: RegExp): Promise<Holder | undefined> {
  const started = Date.now()
  while (Date.now() - started < 100_000) {
    const found = (await leaksOf(app)).holders.find((h) => path.test(h.path))
    if (found !== undefined) return found
    await sleep(300)
  }
  return undefined
}

describe('the census runs none of the app\'s code', () => {
  it('no getter, Proxy trap, toJSON or inspect hook is called, and the Map beside them is named', async () => {
    const app = await start('traps')
    try {
      const holder = await holderMatching(app, /› traps › trapGrowing$/)
      expect(holder, app.output()).toBeDefined()
      expect(holder?.kind).toBe('Map')
      const res = await fetch(`${app.url}/called`)
      expect(await res.json()).toEqual({ called: [], traps: 'object' })
    } finally {
      await app.stop()
    }
  }, 130_000)
})

describe('two registrations in one process', () => {
  it('each runs its own census and names the same holder', async () => {
    const app = await start('cjs-map-by-request', { TWO: '1' })
    try {
      const port = /\{"second":(\d+)\}/.exec(app.output())?.[1]
      expect(port).toBeDefined()
      const second = { url: `http://127.0.0.1:${port}` }
      for (const instance of [app, second]) {
        const holder = await holderMatching(instance, /request-memo\.cjs › pending$/)
        expect(holder, app.output()).toBeDefined()
        expect(holder?.kind).toBe('Map')
      }
    } finally {
      await app.stop()
    }
  }, 230_000)
})

describe.concurrent('the leak-free twins name no holder', () => {
  it.each(['lru', 'per-connection', 'fill-and-stop'])('%s', async (pattern) => {
    const app = await start(pattern)
    try {
      let census = await censusOf(app)
      const started = Date.now()
      // Half again what a holder needs (8), under steady traffic.
      while (census.censuses < 12 && Date.now() - started < 110_000) {
        const report = await leaksOf(app)
        expect(report.holders, JSON.stringify(report.holders)).toEqual([])
        await sleep(300)
        census = await censusOf(app)
      }
      expect(census.available).toBe(true)
      expect(census.censuses).toBeGreaterThanOrEqual(12)
      expect((await leaksOf(app)).holders).toEqual([])
    } finally {
      await app.stop()
    }
  }, 130_000)
})

describe.skipIf(!requireChromium())('the page\'s Growth over time panel', () => {
  it('lists the holder under "Kept by" and says growing', async () => {
    const app = await start('cjs-map-by-request')
    let browser: Browser | undefined
    try {
      browser = await launchChromium()
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      const watch = watchPage(page, app.url)
      await page.goto(`${app.url}/debug`)
      const row = page.locator('#leak-holders tr').filter({ hasText: 'pending' }).first()
      await row.waitFor({ timeout: 100_000 })
      expect(await page.locator('#leak-holders-card').isHidden()).toBe(false)
      const cells = await row.locator('td').allTextContents()
      expect(cells[0]).toMatch(/^module test\/fixtures\/holders\/lib\/request-memo\.cjs › pending/)
      expect(cells[1]).toBe('Map')
      expect(Number(cells[2])).toBeGreaterThanOrEqual(32)
      expect(cells[5]).toContain('key IncomingMessage')
      await page.locator('#leak-verdict[data-verdict="growing"]').waitFor({ timeout: 20_000 })
      await screenshot(page, 'holders-panel', page.locator('#growth'))
      expect(watch.errors).toEqual([])
      expect(watch.offOrigin).toEqual([])
    } finally {
      await browser?.close()
      await app.stop()
    }
  }, 150_000)
})
