// Whose code a suspect is (origin, package) and the way from its allocation to the app's code (via), on
// synthetic rings: test/suspect-origin.test.ts checks the same on real leaks in child processes.
import { describe, expect, it } from 'vitest'
import { analyze, VIA_FRAMES, viaOf } from '../src/leaks/analysis.js'
import { originOf } from '../src/leaks/origin.js'
import { CaptureRing } from '../src/leaks/ring.js'
import { type Frame, FrameTable, StackSet } from '../src/pprof/frames.js'

const MB = 1024 * 1024
const f = (name: string, file: string, line = 1): Frame => ({ name, file, line, column: 3, functionLine: line })

describe('originOf', () => {
  it.each([
    ['/srv/app/routes/orders.js', 'app', null],
    ['C:\\srv\\app\\server.js', 'app', null],
    ['node:_http_common', 'node', null],
    ['node:internal/streams/readable', 'node', null],
    ['', 'native', null],
    ['/srv/app/node_modules/fastify/lib/request.js', 'dependency', 'fastify'],
    ['/srv/app/node_modules/@fastify/static/index.js', 'dependency', '@fastify/static'],
    ['C:\\srv\\app\\node_modules\\@scope\\pkg\\lib\\x.js', 'dependency', '@scope/pkg'],
    // A package's own dependencies: the last node_modules names the package that allocated.
    ['/srv/app/node_modules/pino/node_modules/sonic-boom/index.js', 'dependency', 'sonic-boom'],
    // pnpm's store layout.
    ['/srv/app/node_modules/.pnpm/undici@6.0.0/node_modules/undici/lib/core.js', 'dependency', 'undici'],
    ['/srv/app/node_modules/loose.js', 'dependency', null]
  ])('%s: %s %s', (file, origin, pkg) => {
    expect(originOf(file)).toEqual({ origin, package: pkg })
  })
})

describe('viaOf', () => {
  const app = f('handler', '/srv/app/server.js', 40)
  it('runs from the leaf to the first app frame, inclusive', () => {
    const result = viaOf([f('memo', '/srv/app/node_modules/memo/index.js', 5), f('wrap', '/srv/app/node_modules/memo/index.js', 20), app, f('outer', '/srv/app/server.js', 1)])
    expect(result.viaReachesApp).toBe(true)
    expect(result.via).toEqual([
      { function: 'memo', file: '/srv/app/node_modules/memo/index.js', line: 5 },
      { function: 'wrap', file: '/srv/app/node_modules/memo/index.js', line: 20 },
      { function: 'handler', file: '/srv/app/server.js', line: 40 }
    ])
  })

  it('is the leaf alone when the leaf is the app\'s', () => {
    expect(viaOf([app, f('outer', '/srv/app/server.js', 1)])).toEqual({ via: [{ function: 'handler', file: '/srv/app/server.js', line: 40 }], viaReachesApp: true })
  })

  it('starts a (V8 API) leaf with the JavaScript frame above it, and is empty when the sampler recorded none', () => {
    const result = viaOf([f('(V8 API)', ''), f('socketOnData', 'node:_http_server', 900), app])
    expect(result.via.map((v) => v.function)).toEqual(['socketOnData', 'handler'])
    expect(result.viaReachesApp).toBe(true)
    expect(viaOf([f('(V8 API)', '')])).toEqual({ via: [], viaReachesApp: false })
  })

  it('runs to the root, bounded, when no app frame exists, and keeps the app frame last when it is far', () => {
    const deep = Array.from({ length: 30 }, (_, i) => f(`internal${i}`, 'node:internal/x', i + 1))
    const none = viaOf(deep)
    expect(none.viaReachesApp).toBe(false)
    expect(none.via).toHaveLength(VIA_FRAMES)
    expect(none.via[0]?.function).toBe('internal0')
    const far = viaOf([...deep, app])
    expect(far.viaReachesApp).toBe(true)
    expect(far.via).toHaveLength(VIA_FRAMES)
    expect(far.via.map((v) => v.function).slice(-2)).toEqual([`internal${VIA_FRAMES - 2}`, 'handler'])
  })
})

describe('suspects from a ring carry origin, package and via', () => {
  /** Captures where each stack (frames leaf first) holds bytes(i). */
  function ringOf (stacks: ReadonlyArray<readonly [readonly Frame[], (i: number) => number]>): CaptureRing {
    const ring = new CaptureRing(30)
    for (let i = 0; i < 16; i++) {
      const frames = new FrameTable()
      const set = new StackSet()
      for (const [stack, bytes] of stacks) set.add(stack.map((x) => frames.id(x)), [1, bytes(i)])
      ring.add({ at: i * 60_000, heapUsed: 100 * MB, afterGc: true, frames, stacks: set })
    }
    return ring
  }

  it('classifies each site and follows its heaviest stack in the newest capture to the app', () => {
    const route = f('rememberOrder', '/srv/app/routes.js', 12)
    const other = f('warmup', '/srv/app/boot.js', 3)
    const lib = f('memoize', '/srv/app/node_modules/@acme/memo/index.js', 8)
    const parser = f('parserOnHeadersComplete', 'node:_http_common', 71)
    const v8api = f('(V8 API)', '')
    const ring = ringOf([
      [[f('keep', '/srv/app/cache.js', 2), route], (i) => i * 3 * MB],
      // The library's site has two stacks: the heavier one now (though lighter early on) is the one shown.
      [[lib, route], (i) => i * 2 * MB],
      [[lib, other], (i) => (15 - i) * 0.1 * MB + 4 * MB],
      [[parser, f('socketOnData', 'node:_http_server', 500)], (i) => i * 1.5 * MB],
      [[v8api], (i) => i * MB]
    ])
    const report = analyze(ring, 512 * 1024)
    expect(report.verdict).toBe('growing')
    const byName = new Map(report.suspects.map((s) => [s.function, s]))
    expect(byName.get('keep')).toMatchObject({ origin: 'app', package: null, viaReachesApp: true, via: [{ function: 'keep', file: '/srv/app/cache.js', line: 2 }] })
    expect(byName.get('memoize')).toMatchObject({ origin: 'dependency', package: '@acme/memo', viaReachesApp: true })
    expect(byName.get('memoize')?.via.map((v) => v.function)).toEqual(['memoize', 'rememberOrder'])
    expect(byName.get('parserOnHeadersComplete')).toMatchObject({ origin: 'node', package: null, viaReachesApp: false })
    expect(byName.get('parserOnHeadersComplete')?.via.map((v) => v.function)).toEqual(['parserOnHeadersComplete', 'socketOnData'])
    expect(byName.get('(V8 API)')).toMatchObject({ origin: 'native', package: null, viaReachesApp: false, via: [], file: '' })
  })
})

describe('the page says the same in words', async () => {
  const growth = await import(new URL('../public/growth.js', import.meta.url).href) as {
    suspectGroups: (s: object[]) => Array<{ origin: string, suspects: Array<{ function: string }> }>
    topSuspectLines: (s: object) => string[]
  }
  const base = { growthBytes: 1, bytesPerHour: 1, firstBytes: 0, lastBytes: 1, p: 0, recentP: 0 }
  const parser = { ...base, function: 'parserOnHeadersComplete', file: 'node:_http_common', line: 71, origin: 'node', package: null, via: [{ function: 'parserOnHeadersComplete', file: 'node:_http_common', line: 71 }], viaReachesApp: false }
  const lib = { ...base, function: 'remember', file: '/a/node_modules/@x/memo/index.js', line: 9, origin: 'dependency', package: '@x/memo', via: [{ function: 'remember', file: '/a/node_modules/@x/memo/index.js', line: 9 }, { function: 'handler', file: '/a/server.js', line: 3 }], viaReachesApp: true }
  const v8api = { ...base, function: '(V8 API)', file: '', line: 0, origin: 'native', package: null, via: [], viaReachesApp: false }
  const own = { ...base, function: 'keep', file: '/a/cache.js', line: 2, origin: 'app', package: null, via: [{ function: 'keep', file: '/a/cache.js', line: 2 }], viaReachesApp: true }

  it('groups suspects by origin, the app\'s first, keeping their order inside a group', () => {
    expect(growth.suspectGroups([parser, v8api, lib, own]).map((g) => [g.origin, g.suspects.map((s) => s.function)])).toEqual([
      ['app', ['keep']], ['dependency', ['remember']], ['node', ['parserOnHeadersComplete']], ['native', ['(V8 API)']]
    ])
  })

  it('words the top suspect and its way to the app, and where to look when there is none', () => {
    expect(growth.topSuspectLines(lib)).toEqual([
      'remember (/a/node_modules/@x/memo/index.js:9): allocated in the package @x/memo.',
      'via remember (/a/node_modules/@x/memo/index.js:9)',
      'called by handler (/a/server.js:3)'
    ])
    expect(growth.topSuspectLines(parser).slice(0, 2)).toEqual([
      'parserOnHeadersComplete (node:_http_common:71): allocated in Node\'s own JavaScript (node:_http_common): memory Node makes for requests, sockets, streams or buffers.',
      'No frame of the app\'s code is on its allocation stack: requests, sockets or buffers pile up. Look at who keeps them (Kept by).'
    ])
    expect(growth.topSuspectLines(v8api)[0]).toBe('(V8 API): native memory allocated by Node\'s C++ outside JavaScript (V8 API), such as the header and URL strings of its HTTP parser.')
    expect(growth.topSuspectLines(v8api)).toHaveLength(2)
  })
})
