import { type ChildProcess, fork } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { goPprof, parseTop, requireGo, type TopRow } from './support/go-pprof.js'
import { type RunningDemo, startDemo } from './support/demo.js'
import { sleep } from './support/wait.js'

// The story end to end: a websocket server whose connection count stays flat
// while memory grows; the real go tool pprof must point at the leaking line.
const LOAD_SECONDS = 14
const LEAK_FUNCTION = 'rememberRequestContext'
// Clients of the demo's load: each holds one websocket and reconnects as it closes.
const CONCURRENCY = 40

let demo: RunningDemo | undefined
let load: ChildProcess | undefined
let dir: string | undefined
afterEach(async () => {
  load?.kill()
  await demo?.stop()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  demo = undefined
  load = undefined
  dir = undefined
})

async function save (url: string, name: string): Promise<string> {
  const res = await fetch(url)
  expect(res.status).toBe(200)
  const file = join(dir as string, name)
  await writeFile(file, Buffer.from(await res.arrayBuffer()))
  return file
}

async function top (args: string[]): Promise<TopRow[]> {
  const run = await goPprof(['-top', '-sample_index=inuse_space', ...args])
  expect(run.code, run.stderr).toBe(0)
  const report = parseTop(run.stdout)
  expect(report.type).toBe('inuse_space')
  return report.rows
}

/** Runs the demo under load and collects a heap delta and a before/after pair, as the README tells a user. */
interface Census { open: number, contexts: number }

async function hunt (flags: string[]): Promise<{ delta: TopRow[], base: TopRow[], connections: Census[] }> {
  demo = await startDemo(flags)
  dir = await mkdtemp(join(tmpdir(), 'fastify-pprof-acceptance-'))
  load = fork(new URL('../demo/load.js', import.meta.url), ['--url', `ws://127.0.0.1:${demo.port}/chat`, '--seconds', String(LOAD_SECONDS), '--concurrency', String(CONCURRENCY), '--quiet'], { stdio: 'ignore' })
  const connections: Census[] = []
  const watch = setInterval(() => {
    fetch(`${demo?.base}/connections`).then(async (r) => { connections.push(await r.json() as Census) }).catch(() => {})
  }, 1000)
  try {
    await sleep(2000)
    const before = await save(`${demo.base}/debug/heap?gc=1`, 'before.pb.gz')
    const delta = await save(`${demo.base}/debug/heap?seconds=8&gc=1`, 'delta.pb.gz')
    const after = await save(`${demo.base}/debug/heap?gc=1`, 'after.pb.gz')
    return { delta: await top([delta]), base: await top(['-base', before, after]), connections }
  } finally {
    clearInterval(watch)
  }
}

const demoRows = (rows: TopRow[]): TopRow[] => rows.filter((r) => ['rememberRequestContext', 'subscribeToAnnouncements', 'chat', 'onChatMessage', 'onChatClose', 'hello', 'work'].includes(r.name))

describe.skipIf(!requireGo())('finding the leak in the demo with go tool pprof', () => {
  it('with the leak on, the leaking function tops the heap delta and the -base diff while connections stay flat', async () => {
    const { delta, base, connections } = await hunt(['--leak'])
    expect(delta[0]?.name).toBe(LEAK_FUNCTION)
    expect(base[0]?.name).toBe(LEAK_FUNCTION)
    // Megabytes of growth in seconds: unmistakable.
    expect(delta[0]?.flat).toBeGreaterThan(10e6)
    expect(base[0]?.flat).toBeGreaterThan(10e6)
    // The symptom: what the server keeps per connection grows far past the connections open, while the number
    // open stays bounded by the clients there are (CONCURRENCY, plus a few closing as their clients reconnect).
    const mean = (xs: Census[], key: keyof Census): number => xs.reduce((sum, c) => sum + c[key], 0) / xs.length
    expect(connections.length).toBeGreaterThanOrEqual(9)
    expect(Math.max(...connections.map((c) => c.open))).toBeLessThanOrEqual(CONCURRENCY * 1.25)
    const last = connections.slice(-3)
    expect(mean(last, 'contexts')).toBeGreaterThan(10 * Math.max(...connections.map((c) => c.open)))
    // Kept contexts grow with time: about 5x from the first three seconds of the census to the last three at a
    // steady leak rate (4.9x seen in CI), where a server without the leak keeps one per open connection (1x).
    expect(mean(last, 'contexts')).toBeGreaterThan(3 * mean(connections.slice(0, 3), 'contexts'))
  }, 90_000)

  it('with the leak off, no demo function shows comparable growth (no false alarm)', async () => {
    const { delta, base } = await hunt([])
    // With the leak off the contexts of the ~40 open connections (~1 MB) are
    // still live: about 2 samples of 512 KiB in each profile, so a diff moves
    // by a few samples either way. 6 MB (12 samples) is far outside that noise
    // and still below the 10 MB the leak always shows above.
    for (const rows of [delta, base]) {
      // go tool pprof read a profile with rows in it; no demo function among them grew past the noise.
      expect(rows.length).toBeGreaterThan(0)
      const growth = Math.max(0, ...demoRows(rows).map((row) => row.flat))
      expect(growth, JSON.stringify(demoRows(rows))).toBeLessThan(6e6)
    }
  }, 90_000)
})
