// The page's "Event-loop stalls" panel in Chromium (issue 20), on a served app whose route blocks its
// loop in a named function: the list names each stall's route and top function, a pick shows that
// function on top of the -top table and in the flame graph, a stall taken while /profile held V8's
// profiler says why it has no profile, and with stallWatch: false the panel says the watch is off.
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, requireChromium, screenshot, watchPage } from './support/browser.js'
import { type ListeningChild, startListening } from './support/child.js'

const APP = fileURLToPath(new URL('fixtures/stalls/app.mjs', import.meta.url))
const REPO = fileURLToPath(new URL('..', import.meta.url))
const BLOCKER = 'blockTheLoopForStallTest'
// As in stalls.test.ts: a loop compiled on the stack mid-stall is charged to its caller; warm it up first.
const WARM_UPS = 5

// The page's DOM as the callbacks below see it inside Chromium: only what they touch.
interface PageElement {
  readonly clientWidth: number
  readonly textContent: string | null
  getAttribute: (name: string) => string | null
  querySelector: (selector: string) => PageElement | null
  querySelectorAll: (selector: string) => Iterable<PageElement>
}
declare const document: { querySelector: (selector: string) => PageElement | null }

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

/** The cells of the stall list's rows, newest first: at, blocked, route, GC, top function, profile; then the profile's path. */
async function listed (page: Page): Promise<string[][]> {
  return await page.locator('#stalls-list tr').evaluateAll((rows) => rows.map((r) =>
    [...[...r.querySelectorAll('td')].map((td) => td.textContent ?? ''), r.getAttribute('data-profile') ?? '']))
}

/** Waits until the stall result's flame graph has drawn its frames (the library animates them in). */
async function flameSettled (page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const box = document.querySelector('#stall-result .flame')
    const rects = [...(box?.querySelectorAll('svg g rect') ?? [])].map((r) => Number(r.getAttribute('width')))
    return box !== null && rects.length > 0 && Math.max(...rects) > box.clientWidth * 0.9
  })
  await page.waitForTimeout(300)
}

describe.skipIf(!requireChromium())('the Event-loop stalls panel', () => {
  let browser: Browser
  let child: ListeningChild

  beforeAll(async () => {
    browser = await launchChromium()
    child = await startListening([APP], { cwd: REPO, env: { ...process.env, STALL_THRESHOLD_MS: '200' } })
    for (let i = 0; i < WARM_UPS; i++) await fetch(`${child.url}/block?ms=40`)
  }, 60_000)
  afterAll(async () => {
    await child?.stop()
    await browser?.close()
  })

  it('lists a stall with its route and function, shows its profile on a pick, and says why a busy one has none', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const watch = watchPage(page, child.url)
    try {
      await page.goto(`${child.url}/debug`)
      const status = page.locator('#stalls-status')
      await page.locator('#stalls-status:not([data-state="unknown"])').waitFor({ timeout: 10_000 })
      // On a loaded machine the app's start can stall its loop too: count from what is listed now.
      const before = (await listed(page)).length

      // One 500 ms block among other traffic.
      await Promise.all([fetch(`${child.url}/ok`), fetch(`${child.url}/block?ms=500`), fetch(`${child.url}/ok`)])
      // The block's row, among what came since (a loaded machine may add a stall of its own): newest first.
      let row: string[] | undefined
      await expect.poll(async () => {
        const rows = await listed(page)
        row = rows.slice(0, rows.length - before).find((r) => r[2] === '/block' && r[5] === 'Show profile')
        return row !== undefined
      }, { timeout: 20_000 }).toBe(true)
      const [, blocked, route, gc, top, action, profile] = row ?? []
      expect(profile).toMatch(/^\/debug\/stalls\/\d+$/)
      const blockRow = page.locator(`#stalls-list tr[data-profile="${profile ?? ''}"]`)
      expect(route).toBe('/block')
      expect(top).toMatch(new RegExp(`^${BLOCKER}…/stalls/app\\.mjs:\\d+$`))
      expect(Number(/^(\d+)ms$/.exec(blocked ?? '')?.[1])).toBeGreaterThanOrEqual(400)
      expect(gc).toMatch(/^(0|[\d.]+m?s)$/)
      expect(action).toBe('Show profile')
      expect(await status.textContent()).toMatch(/^\d+ stalls? of 200 ms or more\. Pick one/)
      expect(await page.locator('#stalls-card').isHidden()).toBe(false)

      await blockRow.locator('button').click()
      const result = page.locator('#stall-result .result')
      await result.locator('table.top tbody tr').first().waitFor({ timeout: 20_000 })
      expect(await result.locator('h3').textContent()).toMatch(/^Stall at \d\d:\d\d:\d\d: the loop was blocked \d+ms$/)
      expect(await result.locator('table.top tbody tr td.fn .name').first().textContent()).toBe(BLOCKER)
      await flameSettled(page)
      const frames = await result.locator('.flame svg g').evaluateAll((gs) => gs.map((g) => g.textContent ?? ''))
      expect(frames.some((f) => f.includes(BLOCKER)), frames.join(' | ')).toBe(true)
      expect(await result.locator('a.download').getAttribute('download')).toMatch(/^stall-.*\.pb\.gz$/)
      expect(await result.locator('code.command').first().textContent()).toBe(`go tool pprof -top ${child.url}${profile ?? ''}`)
      expect(await page.locator('#stalls-list tr.picked').count()).toBe(1)
      await screenshot(page, 'stalls-panel', page.locator('#stalls'))

      // A stall while /profile holds V8's CPU profiler: listed, without a profile, and why.
      const profiling = fetch(`${child.url}/debug/profile?seconds=2`)
      await sleep(500)
      await fetch(`${child.url}/block?ms=400`)
      expect((await profiling).status).toBe(200)
      // Matched by its words (a loaded machine may add a stall of its own), and with no button to show a profile.
      await expect.poll(async () => (await listed(page)).filter((r) => r[2] === '/block' && r[5]?.startsWith('No profile:')).map((r) => [r[5], r[6]]), { timeout: 20_000 })
        .toEqual([[expect.stringMatching(/^No profile: the CPU profiler was busy/), '']])
      expect(await page.locator('#stalls-list tr', { hasText: 'No profile:' }).locator('button').count()).toBe(0)
      // The picked stall stays picked, and its result stays shown, across the list's refresh.
      expect(await page.locator('#stalls-list tr.picked').count()).toBe(1)
      expect(await result.locator('table.top tbody tr td.fn .name').first().textContent()).toBe(BLOCKER)

      expect(watch.errors).toEqual([])
      expect(watch.offOrigin).toEqual([])
    } finally {
      await page.close()
    }
  }, 120_000)
})

describe.skipIf(!requireChromium())('the Event-loop stalls panel before any stall, and with stallWatch: false', () => {
  let browser: Browser
  let child: ListeningChild
  let quiet: ListeningChild

  beforeAll(async () => {
    browser = await launchChromium()
    child = await startListening([APP], { cwd: REPO, env: { ...process.env, STALL_WATCH: 'off' } })
    // A threshold no start-up stall reaches, even on a loaded machine.
    quiet = await startListening([APP], { cwd: REPO, env: { ...process.env, STALL_THRESHOLD_MS: '60000' } })
  }, 60_000)
  afterAll(async () => {
    await child?.stop()
    await quiet?.stop()
    await browser?.close()
  })

  it('says there is no stall yet, and shows no list', async () => {
    const page = await browser.newPage()
    const watch = watchPage(page, quiet.url)
    try {
      await page.goto(`${quiet.url}/debug`)
      await page.locator('#stalls-status[data-state="none"]').waitFor({ timeout: 10_000 })
      expect(await page.locator('#stalls-status').textContent()).toBe('No stalls yet: the event loop has not been blocked for 60000 ms or more.')
      expect(await page.locator('#stalls-card').isHidden()).toBe(true)
      expect(watch.errors).toEqual([])
    } finally {
      await page.close()
    }
  })

  it('says the watch is off, and asks nothing of /stalls', async () => {
    const page = await browser.newPage()
    const watch = watchPage(page, child.url)
    try {
      await page.goto(`${child.url}/debug`)
      await page.locator('#stalls-status[data-state="off"]').waitFor({ timeout: 10_000 })
      expect(await page.locator('#stalls-status').textContent()).toMatch(/^The stall watch is off \(stallWatch: false\)/)
      expect(await page.locator('#stalls-card').isHidden()).toBe(true)
      await page.waitForTimeout(500)
      expect(watch.requests.filter((u) => new URL(u).pathname.startsWith('/debug/stalls'))).toEqual([])
      expect(watch.errors).toEqual([])
    } finally {
      await page.close()
    }
  })
})
