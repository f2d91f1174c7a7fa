import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'

const HOLDER = new URL('../fixtures/retainers/holder.cjs', import.meta.url)

/** Two snapshots (base, target) written by a child process running test/fixtures/retainers/holder.cjs. */
export async function holderSnapshots (mode: 'leak' | 'bounded'): Promise<{ dir: string, base: string, target: string }> {
  const dir = await mkdtemp(join(os.tmpdir(), `retainers-test-${mode}-`))
  const child = spawn(process.execPath, [HOLDER.pathname, dir, mode], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  if (code !== 0) throw new Error(`holder.cjs ${mode} exited ${code}: ${err}`)
  return { dir, base: join(dir, 'base.heapsnapshot'), target: join(dir, 'target.heapsnapshot') }
}
