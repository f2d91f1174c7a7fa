// The page at {prefix}/ (issue #5): its files and headers through inject(), then the whole
// hunt in a real Chromium against a server on loopback, with screenshots in test-artifacts/page/.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { heavyHolder } from '../src/profiler/process-guard.js'
import { ROUTES } from '../src/routes.js'
import { insertedStyleHashes, loadPageAssets } from '../src/page-assets.js'
import { basic, build } from './support/app.js'
import { launchChromium, requireChromium, screenshot, watchPage, type PageWatch } from './support/browser.js'
import { startBurning } from './support/burn.js'
import { leakForPageTest, releaseRetained, retainForPageTest } from './support/leak.js'
import { startServer, type TestServer } from './support/listen.js'
import { until } from './support/wait.js'

// The page's DOM as the callbacks below see it inside Chromium: only what they touch.
// Declared here, not with lib "dom", so that Node code elsewhere cannot use DOM globals by mistake.
interface PageElement {
  readonly dataset: Record<string, string | undefined>
  readonly clientWidth: number
  readonly textContent: string | null
  readonly tagName: string
  readonly className: string
  getAttribute: (name: string) => string | null
  getBoundingClientRect: () => { right: number }
  querySelector: (selector: string) => PageElement | null
  querySelectorAll: (selector: string) => Iterable<PageElement>
  closest: (selector: string) => PageElement | null
}
declare const document: {
  querySelector: (selector: string) => PageElement | null
  querySelectorAll: (selector: string) => Iterable<PageElement>
  documentElement: { scrollWidth: number }
}

const AUTH = { username: 'ops', password: 'page-test-secret' }
const GOOD = basic(AUTH.username, AUTH.password)

function assetUrls (html: string): string[] {
  return [...html.matchAll(/(?:src|href)="([^"]+\/ui\/[^"]+)"/g)].map((m) => m[1] as string)
}

describe('page files and headers', () => {
  it.each([
    ['/debug', '/debug'],
    ['/debug/', '/debug'],
    ['/ops/pprof', '/ops/pprof'],
    ['/ops/pprof/', '/ops/pprof']
  ])('%s serves the page and every file it names, under the prefix and behind auth', async (url, prefix) => {
    const app = await build({ auth: AUTH, prefix })
    try {
      const res = await app.inject({ url, headers: { authorization: GOOD } })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      const urls = assetUrls(res.payload)
      expect(urls.length).toBeGreaterThanOrEqual(6)
      for (const asset of urls) {
        expect(asset.startsWith(`${prefix}/ui/`), asset).toBe(true)
        const file = await app.inject({ url: asset, headers: { authorization: GOOD } })
        expect(file.statusCode, asset).toBe(200)
        expect(file.headers['content-type'], asset).toMatch(asset.endsWith('.css') ? /^text\/css; charset=utf-8$/ : /^text\/javascript; charset=utf-8$/)
        expect(file.headers['x-content-type-options']).toBe('nosniff')
        expect((await app.inject({ url: asset })).statusCode, asset).toBe(401)
      }
      // The routes table comes from the route table.
      for (const r of ROUTES.filter((r) => r.unlisted !== true)) expect(res.payload).toContain(`href="${prefix}${r.path}"`)
      expect((await app.inject(url)).statusCode).toBe(401)
    } finally {
      await app.close()
    }
  })

  it('has a CSP with no inline or eval scripts, and allows only the library\'s own inserted style by hash', async () => {
    const app = await build()
    try {
      const res = await app.inject('/debug')
      const csp = String(res.headers['content-security-policy'])
      expect(csp).toMatch(/default-src 'none'/)
      expect(csp).toMatch(/script-src 'self'(;|$)/)
      expect(csp).toMatch(/connect-src 'self'(;|$)/)
      expect(csp).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/]+=*'(;|$)/)
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/)
      expect(csp).toMatch(/frame-ancestors 'none'/)
      expect(res.headers['x-frame-options']).toBe('DENY')
      // The only inline script is a JSON data block, which a browser never runs.
      const scripts = [...res.payload.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
      for (const [, attrs, body] of scripts) {
        if ((body as string).trim() !== '') expect(attrs).toContain('type="application/json"')
      }
    } finally {
      await app.close()
    }
  })

  it('serves nothing outside the allowlist under /ui/', async () => {
    const app = await build()
    try {
      for (const url of ['/debug/ui/', '/debug/ui/../package.json', '/debug/ui/%2e%2e/package.json', '/debug/ui/index.html', '/debug/ui/uPlot.esm.js']) {
        expect((await app.inject(url)).statusCode, url).toBe(404)
      }
    } finally {
      await app.close()
    }
  })

  it('finds the one stylesheet d3-flame-graph inserts, so the CSP can allow it by hash', () => {
    const bundle = loadPageAssets().files.get('flamegraph.js')?.body.toString('utf8') ?? ''
    expect(insertedStyleHashes(bundle)).toHaveLength(1)
    expect(insertedStyleHashes('x.textContent=`a{color:red}`')).toEqual(["'sha256-" + '6hWWMOcF+mJesSJGYhmK2lkIIEw9Xc5XKGLPVzh8yxs=' + "'"])
  })

  it('escapes nothing it should not: the embedded settings cannot end their script block', async () => {
    const app = await build({ prefix: '/a-b_c.d~e' })
    try {
      const res = await app.inject('/a-b_c.d~e/')
      const block = /<script type="application\/json" id="config">([^<]*)<\/script>/.exec(res.payload)
      expect(block).not.toBeNull()
      expect(JSON.parse(block?.[1] ?? '')).toMatchObject({ prefix: '/a-b_c.d~e', maxProfileSeconds: 300 })
    } finally {
      await app.close()
    }
  })
})

describe.skipIf(!requireChromium())('the page in Chromium', () => {
  let browser: Browser
  let server: TestServer

  beforeAll(async () => {
    browser = await launchChromium()
    server = await startServer({ auth: AUTH, statsIntervalMs: 250, heapIntervalBytes: 64 * 1024, maxProfileSeconds: 60 })
  })

  afterAll(async () => {
    releaseRetained()
    await browser?.close()
    await server?.close()
  })

  async function open (path: string, viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext, page: Page, watch: PageWatch }> {
    const context = await browser.newContext({ httpCredentials: { ...AUTH }, viewport })
    const page = await context.newPage()
    const watch = watchPage(page, server.url)
    const res = await page.goto(server.url + path)
    expect(res?.status()).toBe(200)
    return { context, page, watch }
  }

  /** Waits until an element matching `selector` has text matching `text`. */
  async function waitText (page: Page, selector: string, text: string | RegExp, timeout = 10_000): Promise<void> {
    await page.locator(selector).filter({ hasText: text }).first().waitFor({ state: 'attached', timeout })
  }

  /** Function names of the first rows of the result's -top table. */
  async function topNames (page: Page, count: number): Promise<string[]> {
    await page.locator('#result table.top tbody tr').first().waitFor()
    return await page.locator('#result table.top tbody tr td.fn .name').evaluateAll(
      (cells, n) => cells.slice(0, n).map((c) => c.textContent ?? ''), count)
  }

  /** Waits until the flame graph's root frame spans most of its box (the library animates it in). */
  async function flameSettled (page: Page): Promise<void> {
    await page.waitForFunction(() => {
      const box = document.querySelector('#result .flame')
      const rects = [...(box?.querySelectorAll('svg g rect') ?? [])].map((r) => Number(r.getAttribute('width')))
      return box !== null && rects.length > 0 && Math.max(...rects) > box.clientWidth * 0.9 &&
        box.querySelector('.d3-flame-graph-label')?.textContent !== ''
    })
    await page.waitForTimeout(300)
  }

  async function chartState (page: Page): Promise<Array<{ points: number, lastT: number, canvas: boolean }>> {
    return await page.locator('#overview [data-chart]').evaluateAll((boxes) => boxes.map((b) => ({
      points: Number((b as unknown as PageElement).dataset.points ?? 0),
      lastT: Number((b as unknown as PageElement).dataset.lastT ?? 0),
      canvas: (b.querySelector('canvas')?.width ?? 0) > 0
    })))
  }

  it('does the whole hunt: live charts, heap and CPU profiles, cancel, busy, baseline and diff', async () => {
    retainForPageTest(24)
    const { context, page, watch } = await open('/debug')
    try {
      // Live overview: four charts with data, advancing.
      await page.waitForFunction(() => [...document.querySelectorAll('#overview [data-chart]')].every((b) => Number(b.dataset.points) >= 3))
      const first = await chartState(page)
      expect(first).toHaveLength(4)
      for (const c of first) expect(c).toMatchObject({ canvas: true })
      await page.waitForFunction((t) => [...document.querySelectorAll('#overview [data-chart]')].every((b) => Number(b.dataset.lastT) > t), first[0]?.lastT ?? 0)
      await expect.poll(async () => await page.locator('#numbers dt').count()).toBeGreaterThan(10)
      await waitText(page, '#numbers', 'HeapAlloc')
      await screenshot(page, '1-overview', 'viewport')

      // Heap profile: the retaining function leads the table.
      await page.click('#heap')
      const heapTop = await topNames(page, 3)
      expect(heapTop, heapTop.join(', ')).toContain('retainForPageTest')
      await flameSettled(page)
      expect(await page.locator('#result a.download').getAttribute('download')).toMatch(/^heap-.*\.pb\.gz$/)
      expect(await page.locator('#result code.command').first().textContent()).toContain('go tool pprof')
      await screenshot(page, '2-heap', page.locator('#result'))
      // The README's second picture (npm run docs copies it to docs/page-profiles.png): charts, controls, a heap profile.
      await screenshot(page, 'readme', { height: 1450 })

      // Heap growth over 1 s: the delta route, shown as a difference (or as "nothing changed").
      await page.fill('#delta-seconds', '1')
      await page.click('#delta')
      await waitText(page, '#result .result[data-kind="diff"] h3', 'Heap growth over 1 s')
      await page.locator('#result table.top, #result .empty').first().waitFor()

      // CPU profile for 2 s with a countdown, while the server burns CPU.
      const burner = startBurning()
      try {
        await page.fill('#cpu-seconds', '2')
        await page.click('#cpu')
        await waitText(page, '#progress-text', /CPU profile for 2 s: \d s left/)
        await screenshot(page, '3-cpu-countdown', page.locator('#profiles'))
        await waitText(page, '#result h3', 'CPU profile, 2 s', 15_000)
      } finally {
        burner()
      }
      const cpuTop = await topNames(page, 3)
      expect(cpuTop, cpuTop.join(', ')).toContain('burnCpuForProfileTest')
      await flameSettled(page)
      await screenshot(page, '4-cpu', page.locator('#result'))

      // Cancel: the request is aborted, and the server's profiler is free again at once.
      await page.fill('#cpu-seconds', '30')
      await page.click('#cpu')
      await waitText(page, '#progress-text', /s left/)
      await page.click('#cancel')
      await waitText(page, '#profile-message', 'Cancelled')
      await expect.poll(async () => (await fetch(`${server.url}/debug/profile?seconds=1`, { headers: { authorization: GOOD } })).status,
        { timeout: 5000 }).toBe(200)

      // Busy: another client holds the profiler; the page says so in words.
      const other = new AbortController()
      const held = fetch(`${server.url}/debug/profile?seconds=20`, { headers: { authorization: GOOD }, signal: other.signal }).catch(() => undefined)
      // Until the server holds it: a request that got there first would take the profiler itself.
      await until(() => heavyHolder() === 'cpu profiling')
      expect((await fetch(`${server.url}/debug/heap?seconds=1`, { headers: { authorization: GOOD } })).status).toBe(409)
      await page.fill('#cpu-seconds', '2')
      await page.click('#cpu')
      await waitText(page, '#profile-message', 'Busy (409)')
      await screenshot(page, '5-busy', page.locator('#profiles'))
      other.abort()
      await held

      // Baseline, a leak on purpose, compare: the leaking function tops the diff.
      await page.click('#baseline')
      await waitText(page, '#baseline-info', 'Baseline from')
      expect(await page.locator('#compare').isEnabled()).toBe(true)
      leakForPageTest(16)
      await page.click('#compare')
      await waitText(page, '#result .result[data-kind="diff"] h3', 'What grew since')
      const diffTop = await topNames(page, 1)
      expect(diffTop).toEqual(['leakForPageTest'])
      expect(await page.locator('#result a.download').count()).toBe(2)
      expect(await page.locator('#result code.command').first().textContent()).toContain('-diff_base')
      await flameSettled(page)
      await screenshot(page, '6-diff', page.locator('#result'))

      // A narrow screen: one column, nothing wider than the viewport.
      await page.setViewportSize({ width: 390, height: 844 })
      await page.waitForTimeout(400)
      await screenshot(page, '7-narrow')
      await screenshot(page, '7-narrow-top', 'viewport')
      await page.locator('#result').scrollIntoViewIfNeeded()
      await screenshot(page, '8-narrow-result', 'viewport')
      const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > 391 && !e.closest('.scroll, .command'))
        .map((e) => `${e.tagName}.${e.className}`).slice(0, 10).join(' '))
      expect(await page.evaluate(() => document.documentElement.scrollWidth), wide).toBeLessThanOrEqual(390)

      expect(watch.errors).toEqual([])
      // The one HTTP error the page met is the 409 provoked above.
      expect(watch.failedLoads).toEqual([`409 ${server.url}/debug/profile?seconds=2`])
      expect(watch.offOrigin).toEqual([])
    } finally {
      if (watch.errors.length > 0) console.warn(watch.errors)
      await context.close()
    }
  })

  it('works under another prefix with a trailing slash, every request on loopback', async () => {
    const other = await startServer({ auth: AUTH, prefix: '/ops/pprof', statsIntervalMs: 250 })
    const context = await browser.newContext({ httpCredentials: { ...AUTH } })
    try {
      const page = await context.newPage()
      const watch = watchPage(page, other.url)
      expect((await page.goto(other.url + '/ops/pprof/'))?.status()).toBe(200)
      await page.waitForFunction(() => Number(document.querySelector('[data-chart="memory"]')?.dataset.points) >= 2)
      await page.click('#heap')
      await page.locator('#result table.top tbody tr').first().waitFor()
      const history = watch.requests.filter((u) => u.includes('/stats/history'))
      expect(history.length).toBeGreaterThan(0)
      expect(history.every((u) => u.startsWith(`${other.url}/ops/pprof/stats/history`))).toBe(true)
      expect(watch.errors).toEqual([])
      expect(watch.failedLoads).toEqual([])
      expect(watch.offOrigin).toEqual([])
    } finally {
      await context.close()
      await other.close()
    }
  })
})
