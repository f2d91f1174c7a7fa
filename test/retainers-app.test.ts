// Deep mode on a plain Fastify app in its own process: a CommonJS library
// keeps each request (an IncomingMessage, made by Node's HTTP parser, not by
// the app) in a module-level Map. /leaks/retainers must name that Map by its
// variable; the twin, which forgets each request when its response ends,
// must name no such cluster.
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ListeningChild, startListening } from './support/child.js'

const APP = fileURLToPath(new URL('fixtures/retainers/app.mjs', import.meta.url))
const REPO = fileURLToPath(new URL('..', import.meta.url))
const REQUESTS = 300

interface Answer {
  baseline: boolean
  nodes: { new: number }
  clusters: Array<{ path: string, count: number, objects: Array<{ name: string, count: number }> }>
}

const apps: Record<string, { app: ListeningChild, dir: string }> = {}

async function start (mode: 'leak' | 'twin'): Promise<void> {
  const dir = await mkdtemp(join(os.tmpdir(), `retainers-app-${mode}-`))
  apps[mode] = { dir, app: await startListening([APP, mode], { cwd: REPO, env: { ...process.env, RETAINERS_DIR: dir } }) }
}

async function retainers (url: string): Promise<Answer> {
  const res = await fetch(`${url}/debug/leaks/retainers`)
  if (res.status !== 200) throw new Error(`${res.status}: ${await res.text()}`)
  return await res.json() as Answer
}

/** A baseline, REQUESTS requests, then the answer. */
async function afterRequests (url: string): Promise<Answer> {
  expect((await retainers(url)).baseline).toBe(true)
  for (let i = 0; i < REQUESTS; i++) expect(await (await fetch(`${url}/work`)).text()).toBe('done')
  return await retainers(url)
}

beforeAll(async () => { await Promise.all([start('leak'), start('twin')]) })
afterAll(async () => {
  for (const { app, dir } of Object.values(apps)) {
    await app.stop()
    await rm(dir, { recursive: true, force: true })
  }
})

describe('deep mode on an app', () => {
  it('names the library\'s module-level Map that keeps the requests, first', async () => {
    const { app, dir } = apps.leak as { app: ListeningChild, dir: string }
    const answer = await afterRequests(app.url)
    const top = answer.clusters[0]
    expect(top?.path, JSON.stringify(answer.clusters.slice(0, 3), null, 1)).toMatch(/pending › Map$/)
    expect(top?.objects).toContainEqual({ name: 'IncomingMessage', count: REQUESTS })
    expect(await readdir(dir)).toEqual([])
  })

  it('names no such cluster for the twin that forgets each request', async () => {
    const answer = await afterRequests((apps.twin as { app: ListeningChild }).app.url)
    const kept = answer.clusters.filter((c) => c.path.includes('pending'))
    for (const c of kept) expect(c.count).toBeLessThan(REQUESTS / 10)
    for (const c of answer.clusters) expect(c.objects.find((o) => o.name === 'IncomingMessage')?.count ?? 0).toBeLessThan(REQUESTS / 10)
  })
})
