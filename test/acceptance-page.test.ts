import { type ChildProcess, fork } from 'node:child_process'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, requireChromium, screenshot, watchPage } from './support/browser.js'
import { type RunningDemo, startDemo } from './support/demo.js'
import { sleep } from './support/wait.js'

// The story in the browser: the page's baseline diff, on the leaking demo
// under load, must name the leaking function (and not blame it with the leak off).
//
// With the leak off the function still holds the context of every open
// connection (40 at a time, ~30 kB each), so a diff of two samples of that
// can put it anywhere in a short list of noise. What separates the two cases
// is how much it grew: measured here, 135–150 MB with the leak on, 0–3 kB off.
const GREW_BYTES = 8 * 1024 * 1024

interface Row { name: string, flat: number }
interface Diff { rows: Row[], emptyNotice: string | null }

let browser: Browser
let demo: RunningDemo | undefined
let load: ChildProcess | undefined

async function diffTopRows (flags: string[], shot: string): Promise<Diff> {
  demo = await startDemo(flags)
  load = fork(new URL('../demo/load.js', import.meta.url), ['--url', `ws://127.0.0.1:${demo.port}/chat`, '--seconds', '30', '--concurrency', '40', '--quiet'], { stdio: 'ignore' })
  const page: Page = await browser.newPage()
  const watch = watchPage(page, demo.base)
  await page.goto(`${demo.base}/debug`)
  await sleep(2000)
  await page.click('#baseline')
  await page.locator('#baseline-info').filter({ hasText: 'Baseline from' }).first().waitFor({ timeout: 20_000 })
  await sleep(8000)
  await page.click('#compare')
  await page.locator('#result .result[data-kind="diff"] h3').filter({ hasText: 'What grew since' }).first().waitFor({ timeout: 20_000 })
  await screenshot(page, shot, page.locator('#result'))
  const rows = await page.locator('#result table.top tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    name: tr.querySelector('td.fn .name')?.textContent ?? '',
    flat: Number(tr.getAttribute('data-flat'))
  })))
  // Two heap profiles of a steady heap can be equal: the page then says so instead of a table.
  const emptyNotice = await page.locator('#result .result-body > p.empty').first().textContent({ timeout: 1000 }).catch(() => null)
  expect(watch.errors).toEqual([])
  expect(watch.offOrigin).toEqual([])
  await page.close()
  return { rows, emptyNotice }
}

function grewIn (rows: Row[], name: string): number {
  return rows.filter((r) => r.name === name).reduce((sum, r) => sum + r.flat, 0)
}

describe.skipIf(!requireChromium())('the page\'s baseline diff on the demo', () => {
  beforeAll(async () => { browser = await launchChromium() })
  afterAll(async () => { await browser?.close() })
  afterEach(async () => {
    load?.kill()
    await demo?.stop()
    load = undefined
    demo = undefined
  })

  it('names the leaking function first when the leak is on', async () => {
    const { rows } = await diffTopRows(['--leak'], 'acceptance-leak-diff')
    expect(rows[0]?.name).toBe('rememberRequestContext')
    expect(grewIn(rows, 'rememberRequestContext')).toBeGreaterThan(GREW_BYTES)
  }, 90_000)

  it('does not name it with the leak off', async () => {
    const { rows, emptyNotice } = await diffTopRows([], 'acceptance-no-leak-diff')
    if (rows.length === 0) {
      expect(emptyNotice).toBe('Nothing changed between the baseline and now for this sample type.')
    } else {
      expect(emptyNotice).toBeNull()
      expect(rows.every((r) => Number.isFinite(r.flat))).toBe(true)
      expect(grewIn(rows, 'rememberRequestContext')).toBeLessThan(GREW_BYTES)
    }
  }, 90_000)
})
