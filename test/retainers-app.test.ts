// Deep mode on plain Fastify apps, each pattern in its own process: five
// leaks whose keeper allocates almost nothing itself (a CommonJS library's
// Map keyed by the request, made by Node's HTTP parser; an ES module's array
// of contexts; a library's emitter gaining a listener per request; a
// decorated service's private Map; AsyncLocalStorage stores pushed into an
// array) must be named first, by variable or property; the leak-free twins
// (the same Map emptied at each response's end, an LRU at its bound, a cache
// that filled before the base) must name no cluster of that size there.
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { startListening } from './support/child.js'

const APP = fileURLToPath(new URL('fixtures/retainers/app.mjs', import.meta.url))
const REPO = fileURLToPath(new URL('..', import.meta.url))
const WARM_UP = 60
const REQUESTS = 200

interface Answer {
  baseline: boolean
  clusters: Array<{ path: string, count: number, objects: Array<{ name: string, count: number }> }>
}

const dirs: string[] = []
afterAll(async () => { for (const dir of dirs) await rm(dir, { recursive: true, force: true }) })

async function retainers (url: string): Promise<Answer> {
  const res = await fetch(`${url}/debug/leaks/retainers`)
  if (res.status !== 200) throw new Error(`${res.status}: ${await res.text()}`)
  return await res.json() as Answer
}

async function requests (url: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) expect(await (await fetch(`${url}/work`)).text()).toBe('done')
}

/** Warm-up requests (a cache fills, code compiles), the base, REQUESTS more, the answer; the snapshot dir is empty after. */
async function run (pattern: string): Promise<Answer> {
  const dir = await mkdtemp(join(os.tmpdir(), `retainers-app-${pattern}-`))
  dirs.push(dir)
  const app = await startListening([APP, pattern], { cwd: REPO, env: { ...process.env, RETAINERS_DIR: dir } })
  try {
    await requests(app.url, WARM_UP)
    expect((await retainers(app.url)).baseline).toBe(true)
    await requests(app.url, REQUESTS)
    const answer = await retainers(app.url)
    expect(answer.baseline).toBe(false)
    expect(await readdir(dir)).toEqual([])
    return answer
  } finally {
    await app.stop()
  }
}

// The pattern, its holder's path (its last steps), and what each request leaves there, once per request.
const LEAKS: Array<[pattern: string, holder: RegExp, kept: string]> = [
  ['cjs-map', /› pending › Map$/, 'IncomingMessage'],
  ['esm-array', /› contexts › Array$/, 'Object'],
  ['listeners', /› bus › EventEmitter › _events › Object › config › Array$/, '(anonymous)()'],
  ['decorated-service', /› sessions › SessionStore › #byId › Map$/, 'Object'],
  ['als-array', /› alsSeen › Array$/, 'Object']
]

describe('deep mode names the holder', () => {
  it.each(LEAKS)('%s: first, by its name', async (pattern, holder, kept) => {
    const answer = await run(pattern)
    const top = answer.clusters[0]
    const seen = JSON.stringify(answer.clusters.slice(0, 3), null, 1)
    expect(top?.path, seen).toMatch(holder)
    expect(top?.objects.find((o) => o.name === kept)?.count, seen).toBeGreaterThanOrEqual(REQUESTS)
  })
})

describe('deep mode stays quiet for the twins', () => {
  it.each([['cjs-map-forgotten', 'pending'], ['lru', 'lru'], ['fill-and-stop', 'filled']])('%s', async (pattern, variable) => {
    const answer = await run(pattern)
    const there = answer.clusters.filter((c) => c.path.includes(`› ${variable} ›`))
    // Less than one object per request (what the smallest leak above leaves); the LRU keeps its last 30 entries,
    // all of them new, about 90 objects.
    for (const c of there) expect(c.count, c.path).toBeLessThan(REQUESTS)
  })
})
