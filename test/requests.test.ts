// /requests, the goroutine dump's counterpart (issue 20, part 3): requests in
// flight by route pattern, age, stage and client state, bounded whatever the traffic.
import { spawn } from 'node:child_process'
import { request as httpRequest } from 'node:http'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import fastifyPprof from '../src/index.js'
import { resolveOptions } from '../src/options.js'
import { RequestTracker } from '../src/requests/tracker.js'
import { startServer, type TestServer } from './support/listen.js'
import { parseExposition, valueOf } from './support/prom-text.js'
import { sleep, untilAsync } from './support/wait.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
setFlagsFromString('--no-expose-gc')

interface Listed { route: string | null, method: string, ageMs: number, clientConnected: boolean, stage: string }
interface Answer { total: number, tracked: number, listed: number, slowMs: number, stuck: number, requests: Listed[] }

async function read (server: TestServer): Promise<Answer> {
  const res = await fetch(`${server.url}/debug/requests`)
  expect(res.status).toBe(200)
  return await res.json() as Answer
}

/** A raw GET that carries secrets in its URL, query and headers, left open. */
function hang (server: TestServer, path: string): ReturnType<typeof httpRequest> {
  const req = httpRequest(`${server.url}${path}`, { headers: { 'x-api-token': 'tok-HEADERSECRET' } })
  req.on('error', () => {})
  req.end()
  return req
}

function heapMB (): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed / 1048576
}

describe('/requests', () => {
  it('lists a handler stuck on a promise that never settles, by route and age; says when the client leaves; keeps no secret', async () => {
    let seen: WeakRef<object> | undefined
    let waiting: ReturnType<typeof hang> | undefined
    const server = await startServer({ requests: { slowMs: 200 } }, (app) => {
      app.get('/orders/:id', async (request) => {
        seen = new WeakRef(request.raw)
        await new Promise(() => {})
      })
      app.get('/auth-wait', { preHandler: async () => { await new Promise(() => {}) } }, async () => 'never')
    })
    try {
      const client = hang(server, '/orders/ID-PATHSECRET?token=QUERYSECRET')
      waiting = hang(server, '/auth-wait')
      await untilAsync(async () => (await read(server)).total === 2)
      const first = await read(server)
      expect(first.requests[0]).toMatchObject({ route: '/orders/:id', method: 'GET', clientConnected: true, stage: 'handler' })
      expect(first.requests[1]).toMatchObject({ route: '/auth-wait', method: 'GET', clientConnected: true, stage: 'preHandler' })
      await sleep(300)
      const later = await read(server)
      expect(later.requests[0]?.ageMs).toBeGreaterThanOrEqual((first.requests[0]?.ageMs ?? Infinity) + 250)
      expect(later.stuck).toBe(2)
      const metrics = parseExposition(await (await fetch(`${server.url}/debug/metrics`)).text())
      expect(valueOf(metrics, 'fastify_requests_stuck')).toBe(2)

      client.destroy()
      await untilAsync(async () => (await read(server)).requests[0]?.clientConnected === false)
      const gone = await read(server)
      expect(gone.total).toBe(2)
      expect(gone.requests[0]).toMatchObject({ route: '/orders/:id', clientConnected: false, stage: 'handler' })

      const text = await (await fetch(`${server.url}/debug/requests?debug=1`)).text()
      expect(text).toMatch(/^1 @ GET \/orders\/:id \[handler\] oldest \d+ ms, 1 client gone$/m)
      expect(text).toMatch(/^1 @ GET \/auth-wait \[preHandler\] oldest \d+ ms$/m)
      for (const body of [JSON.stringify(gone), text]) {
        expect(body).not.toMatch(/PATHSECRET|QUERYSECRET|HEADERSECRET|token/)
        expect(body).not.toContain('/debug')
      }
      expect((await fetch(`${server.url}/debug/requests?debug=2`)).status).toBe(400)
    } finally {
      // Fastify's close waits for connections with a request in flight: the clients leave first.
      waiting?.destroy()
      await server.app.close()
    }
    // Nothing here keeps the stuck request alive once the app has closed.
    await sleep(50)
    gc()
    expect(seen).toBeDefined()
    expect(seen?.deref()).toBeUndefined()
  })

  it('forgets a request when its response finishes, and one whose handler answers a client that left', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    const server = await startServer({}, (app) => {
      app.get('/slow', async () => { await gate; return 'ok' })
    })
    try {
      const done = fetch(`${server.url}/slow`)
      const left = hang(server, '/slow')
      await untilAsync(async () => (await read(server)).total === 2)
      left.destroy()
      await untilAsync(async () => (await read(server)).requests.some((r) => !r.clientConnected))
      release()
      expect(await (await done).text()).toBe('ok')
      await untilAsync(async () => (await read(server)).total === 0)
      expect((await read(server)).requests).toEqual([])
    } finally {
      release()
      await server.close()
    }
  })

  it('sees routes added before and after the plugin, in the root and in a child, without any other hook', async () => {
    const app = Fastify({ logger: false })
    const never = async (): Promise<never> => await new Promise(() => {})
    app.get('/early', never)
    app.register(async (child) => { child.get('/early-child', never) })
    await app.register(fastifyPprof)
    app.get('/late', never)
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    const server = { url: `http://127.0.0.1:${address.port}` } as TestServer
    const clients = ['/early', '/early-child', '/late'].map((p) => hang(server, p))
    try {
      await untilAsync(async () => (await read(server)).total === 3)
      const byRoute = Object.fromEntries((await read(server)).requests.map((r) => [r.route, r.stage]))
      // Fastify hands hooks added later to existing children too; only the handler wrapper (onRoute) needs the plugin first.
      expect(byRoute).toEqual({ '/early': 'preHandler', '/early-child': 'preHandler', '/late': 'handler' })
    } finally {
      for (const c of clients) c.destroy()
      await app.close()
    }
  })

  it('gives each registration in one process its own app\'s requests', async () => {
    const a = await startServer({}, (app) => { app.get('/a', async () => await new Promise(() => {})) })
    const b = await startServer({}, (app) => { app.get('/b', async () => await new Promise(() => {})) })
    const clients = [hang(a, '/a'), hang(a, '/a'), hang(b, '/b')]
    try {
      await untilAsync(async () => (await read(a)).total === 2 && (await read(b)).total === 1)
      expect((await read(a)).requests.map((r) => r.route)).toEqual(['/a', '/a'])
      expect((await read(b)).requests.map((r) => r.route)).toEqual(['/b'])
    } finally {
      for (const c of clients) c.destroy()
      await a.app.close()
      await b.app.close()
    }
  })

  it('is not mounted and adds no hook with requests: false', async () => {
    const server = await startServer({ requests: false }, (app) => { app.get('/x', async () => 'x') })
    try {
      expect((await fetch(`${server.url}/debug/requests`)).status).toBe(404)
      expect(server.app.hasRoute({ method: 'GET', url: '/debug/requests' })).toBe(false)
      const metrics = parseExposition(await (await fetch(`${server.url}/debug/metrics`)).text())
      expect(() => valueOf(metrics, 'fastify_requests_stuck')).toThrow()
    } finally {
      await server.close()
    }
  })

  it('caps what it tracks: past max, requests are counted, not listed', () => {
    const tracker = new RequestTracker({ slowMs: 1000, max: 2 }, '/debug')
    const reqs = [0, 1, 2].map(() => ({ method: 'GET' }) as never)
    for (const r of reqs) tracker.add(r)
    expect(tracker.total).toBe(3)
    expect(tracker.tracked).toBe(2)
    for (const r of reqs) tracker.closed(r, { writableFinished: true } as never)
    expect(tracker.total).toBe(0)
    expect(resolveOptions().requests).toEqual({ slowMs: 5000, max: 10000 })
  })

  it('under 10k requests in flight: a capped list with the total, a bounded heap, nothing left once they complete', async () => {
    const N = 10_000
    const MAX = 4000
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    const server = await startServer({ requests: { max: MAX } }, (app) => {
      app.get('/hang/:n', async () => { await gate; return 'ok' })
    })
    const port = server.hostPort.split(':')[1]
    // The clients in a child: 10k sockets on each side would pass one process's descriptor limit.
    const script = `
      const net = require('node:net')
      const N = ${N}; let open = 0; let answered = 0; const sockets = []
      function batch (from) {
        for (let i = from; i < Math.min(N, from + 250); i++) {
          const s = net.connect(${port}, '127.0.0.1', () => { open++; s.write('GET /hang/' + i + '?q=QUERYSECRET HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nX-Token: HEADERSECRET\\r\\n\\r\\n'); if (open === N) console.log('open') })
          s.on('data', (d) => { if (String(d).startsWith('HTTP/1.1 200')) { answered++; if (answered === N) { console.log('answered'); process.exit(0) } } })
          s.on('error', (e) => { console.error('socket error', e.message); process.exit(1) })
          sockets.push(s)
        }
        if (from + 250 < N) setTimeout(() => batch(from + 250), 10)
      }
      batch(0)
    `
    const before = heapMB()
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += String(d) })
    child.stderr.on('data', (d: Buffer) => { out += String(d) })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    try {
      const t0 = performance.now()
      await untilAsync(async () => (await read(server)).total === N, 60_000, 200)
      const during = heapMB()
      const answer = await read(server)
      const readMs = performance.now() - t0
      expect(answer.tracked).toBe(MAX)
      expect(answer.listed).toBe(1000)
      expect(answer.requests).toHaveLength(1000)
      expect(answer.requests.every((r) => r.route === '/hang/:n' && r.stage === 'handler' && r.clientConnected)).toBe(true)
      const ages = answer.requests.map((r) => r.ageMs)
      expect(ages).toEqual([...ages].sort((x, y) => y - x))
      const body = JSON.stringify(answer) + await (await fetch(`${server.url}/debug/requests?debug=1`)).text()
      expect(body).not.toMatch(/SECRET/)
      const text = await (await fetch(`${server.url}/debug/requests?debug=1`)).text()
      expect(text).toContain(`total ${N}, tracked ${MAX}`)
      expect(text).toMatch(new RegExp(`^${MAX} @ GET /hang/:n \\[handler\\]`, 'm'))

      release()
      expect(await exited).toBe(0)
      expect(out).toContain('answered')
      await untilAsync(async () => (await read(server)).total === 0, 30_000, 100)
      const after = heapMB()
      console.log(`requests: ${N} in flight (${MAX} tracked): heap ${before.toFixed(1)} MB before, ${during.toFixed(1)} MB during (+${(during - before).toFixed(1)}, ${((during - before) * 1048576 / N).toFixed(0)} B a request, sockets and Fastify's request/reply included), ${after.toFixed(1)} MB after; all in flight after ${readMs.toFixed(0)} ms`)
      // Node's socket, request and response and Fastify's own objects are most of it; ours is at most MAX small entries.
      expect(during - before).toBeLessThan(250)
      expect(after - before).toBeLessThan(15)
    } finally {
      release()
      child.kill()
      await server.close()
    }
  })
})
