// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the page tests.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium, type Browser, type Locator, type Page } from 'playwright-core'
import { requireTool } from './require-tool.js'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Where screenshots go: gitignored, kept by CI as artifacts for a person to look at. */
export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'page')

/**
 * Gate for browser suites: `describe.skipIf(!requireChromium())(...)`.
 * Without Chromium: under CI (CI=true) it throws, so the test file fails;
 * locally it warns loudly and returns false, so the suite shows as skipped.
 */
export function requireChromium (): boolean {
  return requireTool(CHROMIUM, 'apt-get install chromium')
}

/** Flags that keep Chromium quiet on a machine with no network: no background calls home. */
export async function launchChromium (): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic']
  })
}

export interface PageWatch {
  /** console.error messages and uncaught exceptions, but for failedLoads. */
  readonly errors: string[]
  /**
   * Chromium's own console line for an HTTP error answer ("Failed to load
   * resource: ... 409"), as `STATUS URL`: a test that provokes one expects it.
   */
  readonly failedLoads: string[]
  /** Every URL the page requested that is not on `origin` (data: and blob: excepted). */
  readonly offOrigin: string[]
  /** Every URL the page requested. */
  readonly requests: string[]
}

export function watchPage (page: Page, origin: string): PageWatch {
  const watch: PageWatch = { errors: [], failedLoads: [], offOrigin: [], requests: [] }
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return
    const failed = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text())
    if (failed !== null) watch.failedLoads.push(`${failed[1]} ${msg.location().url}`)
    else watch.errors.push(`console.error: ${msg.text()} (${msg.location().url})`)
  })
  page.on('pageerror', (err) => watch.errors.push(`uncaught: ${err.message}`))
  page.on('request', (request) => {
    const url = request.url()
    watch.requests.push(url)
    if (url.startsWith('data:') || url.startsWith('blob:')) return
    if (new URL(url).origin !== origin) watch.offOrigin.push(url)
  })
  return watch
}

/**
 * The whole page (fullPage), the viewport, the top `height` pixels of the
 * page, or one element, as test-artifacts/page/<name>.png.
 */
export async function screenshot (page: Page, name: string, what: 'fullPage' | 'viewport' | { height: number } | Locator = 'fullPage'): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, `${name}.png`)
  if (typeof what === 'string') await page.screenshot({ path, fullPage: what === 'fullPage' })
  else if ('height' in what) await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width: page.viewportSize()?.width ?? 1280, height: what.height } })
  else await what.screenshot({ path })
  return path
}
