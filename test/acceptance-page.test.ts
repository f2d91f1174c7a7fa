import { type ChildProcess, fork } from 'node:child_process'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, requireChromium, screenshot, watchPage } from './support/browser.js'
import { type RunningDemo, startDemo } from './support/demo.js'
import { sleep } from './support/wait.js'

// The story in the browser: the page's baseline diff, on the leaking demo
// under load, must name the leaking function (and not with the leak off).
let browser: Browser
let demo: RunningDemo | undefined
let load: ChildProcess | undefined

async function diffTopRows (flags: string[], shot: string): Promise<string[]> {
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
  const names = await page.locator('#result table.top tbody tr td.fn .name').evaluateAll((cells) => cells.slice(0, 5).map((c) => c.textContent ?? ''))
  expect(watch.errors).toEqual([])
  expect(watch.offOrigin).toEqual([])
  await page.close()
  return names
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
    const names = await diffTopRows(['--leak'], 'acceptance-leak-diff')
    expect(names[0]).toBe('rememberRequestContext')
  }, 90_000)

  it('does not name it with the leak off', async () => {
    const names = await diffTopRows([], 'acceptance-no-leak-diff')
    expect(names.slice(0, 3)).not.toContain('rememberRequestContext')
  }, 90_000)
})
