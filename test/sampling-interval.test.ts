// The sampling interval a heap profile reports is the one V8's sampler runs
// at: its period, and the text form's scaling (go tool pprof scales text
// samples back up with it). A sampler another tool started is restarted at
// the plugin's interval; a second registration asking for another interval
// gets the first one's, and says so.
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import fastifyPprof from '../src/index.js'
import { heapEngineName } from '../src/profiler/process-guard.js'
import { build } from './support/app.js'
import { decodeProfile } from './support/decode.js'
import { describeRun, goPprof, parseTop, requireGo } from './support/go-pprof.js'
import { measuredIntervalBytes, startForeignSampler } from './support/heap-sampler.js'

const ARRAY_LENGTH = 32_768
// A double array of 32768 elements: 8 bytes each and a 16-byte header, all in the V8 heap.
const ARRAY_BYTES = ARRAY_LENGTH * 8 + 16
const ARRAYS = 64
let kept: number[][] = []
let small: Array<{ i: number }> = []

// Small objects by the hundred thousand: most samples are of them, and each reads about the interval.
function retainSmallForIntervalTest (): number {
  for (let i = 0; i < 400_000; i++) {
    small.push({ i })
    if (i % 100_000 === 0) small.length += 0
  }
  return small.length
}

// A plain loop in a function too big to inline (pitfalls.md): the samples are charged to it.
function retainKnownForIntervalTest (): number {
  for (let i = 0; i < ARRAYS; i++) {
    const a = new Array<number>(ARRAY_LENGTH).fill(i + 0.5)
    kept.push(a)
    if (i % 16 === 0) kept.length += 0
  }
  return kept.length
}

/**
 * The retained function's bytes in /heap, its period, the interval V8's sampler really runs at, and what go
 * tool pprof reads from the text form.
 */
async function measure (app: Awaited<ReturnType<typeof build>>): Promise<{ period: number, running: number, bytes: number, textBytes: number | undefined }> {
  retainSmallForIntervalTest()
  try {
    // Before the big arrays: their samples read their own size, not the interval.
    const running = measuredIntervalBytes()
    retainKnownForIntervalTest()
    const p = decodeProfile((await app.inject('/debug/heap')).rawPayload)
    let textBytes: number | undefined
    if (requireGo()) {
      await app.listen({ host: '127.0.0.1', port: 0 })
      const port = (app.server.address() as { port: number }).port
      const run = await goPprof(['-top', '-sample_index=inuse_space', `http://127.0.0.1:${port}/debug/pprof/heap?debug=1`])
      expect(run.code, describeRun(run)).toBe(0)
      textBytes = parseTop(run.stdout).rows.find((r) => r.name === 'retainKnownForIntervalTest')?.flat
    }
    return { period: Number(p.profile.period), running, bytes: p.flat('inuse_space').get('retainKnownForIntervalTest') ?? 0, textBytes }
  } finally {
    kept = []
    small = []
  }
}

function expectAbout (value: number | undefined, expected: number): void {
  expect(value).toBeGreaterThan(expected * 0.6)
  expect(value).toBeLessThan(expected * 1.6)
}

/** The profile says `period`, its samples came at that pace, and its bytes (binary and text) are what was allocated. */
function expectSampledAt (m: Awaited<ReturnType<typeof measure>>, period: number): void {
  expect(m.period).toBe(period)
  expect(Math.abs(m.running / m.period - 1)).toBeLessThan(0.1)
  expectAbout(m.bytes, ARRAYS * ARRAY_BYTES)
  if (m.textBytes !== undefined) expectAbout(m.textBytes, ARRAYS * ARRAY_BYTES)
}

describe('the sampling interval a heap profile reports', () => {
  it('is the plugin\'s own after it restarts a sampler another tool started at another interval', async () => {
    // The engine is chosen at the first registration: register once to learn it.
    const probe = await build({ leakWatch: false })
    const engine = heapEngineName()
    await probe.close()
    const stop = startForeignSampler(engine as NonNullable<typeof engine>, 64 * 1024, 64)
    const app = await build({ heapIntervalBytes: 256 * 1024, leakWatch: false })
    try {
      expectSampledAt(await measure(app), 256 * 1024)
    } finally {
      await app.close()
      stop()
    }
  }, 60_000)

  it('is the first registration\'s for a second one that asked for another, which is told', async () => {
    const first = await build({ heapIntervalBytes: 256 * 1024, leakWatch: false })
    const warnings: string[] = []
    const second = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { warnings.push(line) } } } })
    await second.register(fastifyPprof, { prefix: '/debug', heapIntervalBytes: 64 * 1024, leakWatch: false })
    await second.ready()
    try {
      expect(warnings.some((w) => w.includes('heapIntervalBytes is 65536, but V8\'s one heap sampler already runs at 262144'))).toBe(true)
      expectSampledAt(await measure(second), 256 * 1024)
    } finally {
      await second.close()
      await first.close()
    }
  }, 60_000)
})
