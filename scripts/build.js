// npm run build: dist/ from nothing, so a module renamed in src/ leaves no stale
// copy to be packed. tsc emits the ES module and its types; the CommonJS entry
// and its types are hand-written (src/index.cjs, src/index.d.cts) and copied.
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'

const root = new URL('../', import.meta.url)
rmSync(new URL('dist/', root), { recursive: true, force: true })
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
if (result.status !== 0) process.exit(result.status ?? 1)
for (const file of ['index.cjs', 'index.d.cts']) copyFileSync(new URL(`src/${file}`, root), new URL(`dist/${file}`, root))
// The command (package.json "bin"), runnable straight from a checkout as well as once npm links it.
chmodSync(new URL('dist/retainers/cli.js', root), 0o755)
