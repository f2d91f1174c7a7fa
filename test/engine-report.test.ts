// Which heap engine runs is visible everywhere a user looks: /stats, its text
// form, the page (without scripts) and a metric; a forced engine that cannot
// run stops the registration with the reason.
import { execFileSync } from 'node:child_process'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { build } from './support/app.js'
import { appEnv, REPO } from './support/consumer.js'
import { parseExposition, samplesOf } from './support/prom-text.js'

// The repo builds npm pprof for the Node that runs the tests (CI rebuilds it per Node), so it is the
// engine unless CI forces another one for the whole run.
const expected = process.env.FASTIFY_PPROF_HEAP_ENGINE === undefined || process.env.FASTIFY_PPROF_HEAP_ENGINE === ''
  ? 'pprof'
  : process.env.FASTIFY_PPROF_HEAP_ENGINE

let app: FastifyInstance
beforeAll(async () => { app = await build({ heapIntervalBytes: 256 * 1024 }) })
afterAll(async () => { await app.close() })

describe('the heap engine in use', () => {
  it('is in /stats with the sampling interval, and in its text form', async () => {
    const { node } = (await app.inject('/debug/stats')).json() as { node: { heapProfiler: unknown } }
    expect(node.heapProfiler).toEqual({ engine: expected, intervalBytes: 256 * 1024, passedOver: [] })
    const text = (await app.inject('/debug/stats?debug=1')).payload
    expect(text).toContain(`# node.heapProfiler.engine = ${expected}\n`)
  })

  it('is on the page, in the markup itself', async () => {
    const html = (await app.inject('/debug')).payload
    const line = /<p class="hint" id="heap-engine">([^<]*)<\/p>/.exec(html)?.[1]
    expect(line).toBe(expected === 'inspector'
      ? 'Heap engine: inspector; every heap profile runs a full GC first.'
      : `Heap engine: ${expected}.`)
  })

  it('is a metric with one series, always 1', async () => {
    const e = parseExposition((await app.inject('/debug/metrics')).payload)
    expect(samplesOf(e, 'fastify_pprof_heap_engine_info')).toEqual([{ name: 'fastify_pprof_heap_engine_info', labels: { engine: expected }, value: 1 }])
  })
})

describe('FASTIFY_PPROF_HEAP_ENGINE', () => {
  it('stops the registration with the reason when it names no engine (read once per process, so in a child)', () => {
    const script = `
      const Fastify = require('fastify')
      Fastify().register(require('fastify-pprof')).ready().then(
        () => console.log('registered'),
        (err) => console.log('refused: ' + err.message))`
    const out = execFileSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8', env: { ...appEnv(), FASTIFY_PPROF_HEAP_ENGINE: 'v8' } })
    expect(out.trim()).toBe('refused: FASTIFY_PPROF_HEAP_ENGINE=v8: must be auto, pprof, @datadog/pprof, inspector')
  })
})
