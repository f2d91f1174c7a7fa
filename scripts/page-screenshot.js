// Refreshes the README's pictures of the page from the Chromium tests that take them, so that each shows the page
// as a test drove it: docs/page.png, the leaking demo's Growth panel once it names who keeps the leak
// (test/demo-leak-page.test.ts, about a minute), and docs/page-profiles.png, the charts and a heap profile
// (test/page.test.ts, "does the whole hunt"). Needs Debian's chromium.
import { spawnSync } from 'node:child_process'
import { copyFileSync } from 'node:fs'

const root = new URL('../', import.meta.url)
const shots = [
  { args: ['test/demo-leak-page.test.ts'], from: 'demo-leak.png', to: 'docs/page.png' },
  { args: ['test/page.test.ts', '-t', 'does the whole hunt'], from: 'readme.png', to: 'docs/page-profiles.png' }
]
for (const { args, from, to } of shots) {
  const run = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...args], { cwd: root, stdio: 'inherit' })
  if (run.status !== 0) process.exit(run.status ?? 1)
  copyFileSync(new URL(`test-artifacts/page/${from}`, root), new URL(to, root))
  console.log(`${to} refreshed`)
}
