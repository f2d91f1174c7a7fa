// Suspects a reader can act on: on real leaks, each in its own process, the top suspect says whose code
// allocated what is kept (origin, package) and the way from there to the app's code (via): a leak in the
// app's code, one in a dependency (test/fixtures/leaks/node_modules/@fixture/memo), request objects that
// Node's HTTP parser allocated and a route keeps, and raw header lines, strings Node's C++ parser creates
// outside JavaScript (`(V8 API)`). The request leaks run on real HTTP traffic from this process.
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { LeakReport, Suspect } from '../src/leaks/analysis.js'
import { type ListeningChild, startListening } from './support/child.js'
import { startLeakApp } from './support/leak-app.js'
import { sleep } from './support/wait.js'

const APP = fileURLToPath(new URL('./fixtures/leaks/origins.mjs', import.meta.url))
const REPO = fileURLToPath(new URL('..', import.meta.url))

/**
 * Requests from eight kept-alive connections, one at a time on each, as fast as the app answers, until stopped:
 * written on plain sockets so that they are small (`GET /`, one one-letter Host header): the strings Node's C++
 * parser makes for each request are then few and short, and what Node's JavaScript allocates for it (the
 * request, its streams' state) is most of what a kept request holds. `header` adds a header line.
 */
function traffic (url: string, header: string): () => Promise<number> {
  const { hostname, port } = new URL(url)
  const state = { stopped: false }
  let sent = 0
  const sockets: net.Socket[] = []
  const loops = Array.from({ length: 8 }, async () => {
    const socket = net.connect(Number(port), hostname)
    sockets.push(socket)
    socket.setEncoding('latin1')
    let received = ''
    let wake = (): void => {}
    socket.on('data', (d: string) => { received += d; wake() })
    socket.on('error', () => {})
    socket.on('close', () => { state.stopped = true; wake() })
    while (!state.stopped) {
      socket.write(`GET / HTTP/1.1\r\nHost: a\r\n${header}\r\n`)
      // The app answers 'ok' (Content-Length: 2).
      while (!state.stopped && !received.includes('\r\n\r\nok')) await new Promise<void>((resolve) => { wake = resolve })
      received = received.slice(received.indexOf('\r\n\r\nok') + 6)
      sent++
    }
    socket.destroy()
  })
  return async () => {
    state.stopped = true
    for (const socket of sockets) socket.destroy()
    await Promise.all(loops)
    return sent
  }
}

async function start (pattern: string): Promise<ListeningChild & { stopTraffic?: () => Promise<number> }> {
  if (pattern === 'map-by-request') return await startLeakApp(pattern)
  const app = await startListening([APP, pattern], { cwd: REPO, env: { ...process.env, LEAK_INTERVAL_MS: '500' } })
  if (pattern === 'dependency') return app
  return { ...app, stopTraffic: traffic(app.url, pattern === 'raw-headers' ? `X-Trace: ${'0123456789abcdef'.repeat(4)}\r\n` : '') }
}

interface Expected {
  origin: Suspect['origin']
  function?: string
  file: RegExp
  package: string | null
  /** The app frame `via` must end at; null where no app frame is on the allocation stacks. */
  appFrame: { function: string, file: RegExp } | null
  /** A line of /leaks?debug=1. */
  text: RegExp
}

const PILE_UP = /no frame of the app's code on its stack: requests, sockets or buffers pile up: look at who keeps them \(the 'kept by' lines below\)/

describe('the top suspect says whose code it is and how the app reaches it', () => {
  it.each<[string, Expected]>([
    ['map-by-request', {
      origin: 'app',
      function: 'rememberRequestForLeakTest',
      file: /fixtures\/leaks\/app\.mjs$/,
      package: null,
      appFrame: { function: 'rememberRequestForLeakTest', file: /fixtures\/leaks\/app\.mjs$/ },
      text: /^ {2}in the app's own code:\n.*rememberRequestForLeakTest .*app\.mjs:\d+ .*\n {15}via rememberRequestForLeakTest /m
    }],
    ['dependency', {
      origin: 'dependency',
      function: 'remember',
      file: /fixtures\/leaks\/node_modules\/@fixture\/memo\/index\.js$/,
      package: '@fixture/memo',
      appFrame: { function: 'rememberWithLibraryForLeakTest', file: /fixtures\/leaks\/origins\.mjs$/ },
      text: /^ {2}in dependencies \(a package allocated it\):\n.*remember .*\(package @fixture\/memo, p=.*\n {15}via remember .*\n {16}<- rememberWithLibraryForLeakTest .*origins\.mjs:\d+$/m
    }],
    // Which of Node's functions allocated most of a request varies with Node's version: its origin does not.
    ['parser-requests', { origin: 'node', file: /^node:/, package: null, appFrame: null, text: new RegExp(`^ {2}in Node's own JavaScript \\(node: files\\):\\n.*node:.*\\n {15}${PILE_UP.source}`, 'm') }],
    ['raw-headers', {
      origin: 'native',
      function: '(V8 API)',
      file: /^$/,
      package: null,
      appFrame: null,
      text: new RegExp(`^ {2}native: memory V8 or Node's C\\+\\+ allocated outside JavaScript .*:\\n.*\\(V8 API\\) {2}\\(no file\\).*\\n {15}${PILE_UP.source}`, 'm')
    }]
  ])('%s', async (pattern, expected) => {
    const app = await start(pattern)
    try {
      const started = Date.now()
      let report: LeakReport | undefined
      const seen: string[] = []
      while (Date.now() - started < 40_000) {
        report = await (await fetch(`${app.url}/debug/leaks`)).json() as LeakReport
        // While another origin leads (V8's JIT moves bytes between Node's sites as it warms up), say so.
        if (report.verdict === 'growing') seen.push(`${((Date.now() - started) / 1000).toFixed(1)} s: ${report.suspects[0]?.function ?? ''} (${report.suspects[0]?.origin ?? ''})`)
        if (report.verdict === 'growing' && report.suspects[0]?.origin === expected.origin) break
        await sleep(300)
      }
      const text = await (await fetch(`${app.url}/debug/leaks?debug=1`)).text()
      const sent = await app.stopTraffic?.()
      console.log(`${pattern}: after ${((Date.now() - started) / 1000).toFixed(1)} s${sent === undefined ? '' : `, ${sent} requests`}: ${JSON.stringify(report?.suspects[0])}${seen.length > 1 ? `\n  led before: ${seen.slice(0, -1).join('; ')}` : ''}`)
      const top = report?.suspects[0]
      expect(top, JSON.stringify(report?.suspects.slice(0, 3))).toBeDefined()
      expect(top?.origin, JSON.stringify(report?.suspects.slice(0, 3))).toBe(expected.origin)
      if (expected.function !== undefined) expect(top?.function).toBe(expected.function)
      expect(top?.file).toMatch(expected.file)
      expect(top?.package).toBe(expected.package)
      expect(top?.via.length).toBeLessThanOrEqual(12)
      if (expected.appFrame === null) {
        // The route that keeps them runs after Node allocated them: no app frame is on these stacks.
        expect(top?.viaReachesApp).toBe(false)
        expect(top?.via.filter((f) => f.file !== '' && !f.file.startsWith('node:') && !f.file.includes('node_modules'))).toEqual([])
      } else {
        expect(top?.viaReachesApp).toBe(true)
        if (expected.origin !== 'app') expect(top?.via[0]).toEqual({ function: top?.function, file: top?.file, line: top?.line })
        const last = top?.via[(top?.via.length ?? 0) - 1]
        expect(last?.function).toBe(expected.appFrame.function)
        expect(last?.file).toMatch(expected.appFrame.file)
      }
      // (V8 API) has no JavaScript under it: V8 names an allocation so only when the JavaScript stack is empty.
      if (expected.origin === 'native') expect(top?.via).toEqual([])
      expect(text).toMatch(expected.text)
    } finally {
      await app.stopTraffic?.()
      await app.stop()
    }
  }, 60_000)
})
