// Refreshes docs/page.png, the README's picture of the page, from the Chromium
// test that takes it (test/page.test.ts, "does the whole hunt"): the picture
// shows the page as the tests drive it. Needs Debian's chromium.
import { spawnSync } from 'node:child_process'
import { copyFileSync } from 'node:fs'

const root = new URL('../', import.meta.url)
const run = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'test/page.test.ts', '-t', 'does the whole hunt'], { cwd: root, stdio: 'inherit' })
if (run.status !== 0) process.exit(run.status ?? 1)
copyFileSync(new URL('test-artifacts/page/readme.png', root), new URL('docs/page.png', root))
console.log('docs/page.png refreshed')
