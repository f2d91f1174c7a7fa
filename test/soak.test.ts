import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { heavyHolder } from '../src/profiler/process-guard.js'
import { basic, build } from './support/app.js'
import { sleep } from './support/wait.js'

// `SOAK_ROUNDS=20 npx vitest run test/soak.test.ts` soaks longer; CI runs the short version.
const ROUNDS = Number(process.env.SOAK_ROUNDS ?? 3)
const AUTH = { username: 'ops', password: 'soak-pass' }
const GOOD = basic(AUTH.username, AUTH.password)

let app: FastifyInstance
let port: number
beforeAll(async () => {
  app = await build({ auth: AUTH, authRateLimit: { maxFailures: 1_000_000 }, statsIntervalMs: 100 })
  await app.listen({ host: '127.0.0.1', port: 0 })
  port = (app.server.address() as AddressInfo).port
})
afterAll(async () => { await app.close() })

async function settledHeap (): Promise<number> {
  let min = Infinity
  for (let i = 0; i < 3; i++) {
    await sleep(50)
    await app.inject({ url: '/debug/heap?gc=1', headers: { authorization: GOOD } })
    min = Math.min(min, process.memoryUsage().heapUsed)
  }
  return min
}

/** A 1 s CPU profile over a real socket, optionally dropped halfway. */
async function profile (abort: boolean): Promise<void> {
  await new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/debug/profile?seconds=1', agent: false, headers: { authorization: GOOD, connection: 'close' } }, (res) => {
      res.resume()
      res.on('end', resolve)
    })
    req.on('error', () => resolve())
    req.end()
    if (abort) setTimeout(() => { req.destroy(); resolve() }, 300)
  })
}

async function round (): Promise<void> {
  const fast: Array<Promise<unknown>> = []
  for (let i = 0; i < 1000; i++) {
    const kind = i % 5
    const headers = { authorization: kind === 0 ? basic('ops', `wrong-${i}`) : GOOD }
    const url = ['/debug/heap', '/debug/stats', '/debug/stats/history', '/debug/heap', '/debug/pprof/goroutine?debug=1'][kind] as string
    fast.push(app.inject({ url, headers }))
    if (fast.length === 20) await Promise.all(fast.splice(0))
  }
  await Promise.all(fast)
  for (let i = 0; i < 4; i++) await profile(i % 2 === 0)
}

describe('soak', () => {
  it(`${ROUNDS} rounds of 1000 mixed requests and 4 one-second profiles (half aborted) leave the post-GC heap where it was`, async () => {
    await round()
    const before = await settledHeap()
    const resourcesBefore = process.getActiveResourcesInfo().length
    for (let r = 0; r < ROUNDS; r++) await round()
    await sleep(200)
    const growth = await settledHeap() - before
    console.log(`soak: ${ROUNDS} rounds, post-GC heap growth ${(growth / 1e6).toFixed(2)} MB`)
    expect(growth).toBeLessThan(5e6)
    expect(heavyHolder()).toBeUndefined()
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(resourcesBefore + 2)
  })
})
