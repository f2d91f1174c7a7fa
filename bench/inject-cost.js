// In-process cost per request, where HTTP throughput on this VM cannot resolve it
// (±25 % second to second): fastify.inject() of GET /plain on a bare app and on an
// app with fastify-pprof registered, with the heap sampler on and off, in one
// process, arms interleaved in rounds (order rotated), `count` requests per arm
// per round. The sampler is toggled with npm pprof heap.stop()/heap.start(512 KiB, 64)
// under the plugin (the plugin has no option to disable it).
// What this can and cannot see: per-request routing and hook cost, and the heap
// sampler's cost. It cannot see the http.Server path (inject() skips it, e.g. a
// 'request' listener) nor process-wide work the plugin adds (its timers, GC
// observer, event-loop-delay histogram), which here lands on both apps alike;
// only the HTTP arms, one process per arm, cover those.
//
//   node bench/inject-cost.js [rounds=15] [count=2000]
import { performance } from 'node:perf_hooks'
import pprof from 'pprof'
import Fastify from 'fastify'
import fastifyPprof from 'fastify-pprof'

const rounds = Number(process.argv[2] ?? 15)
const count = Number(process.argv[3] ?? 2000)

async function build (withPlugin) {
  const app = Fastify({ logger: false })
  if (withPlugin) await app.register(fastifyPprof)
  app.get('/plain', async () => ({ hello: 'world' }))
  await app.ready()
  return app
}

async function perRequestUs (app) {
  const t0 = performance.now()
  for (let i = 0; i < count; i++) {
    const res = await app.inject({ method: 'GET', url: '/plain' })
    if (res.statusCode !== 200) throw new Error(`GET /plain answered ${res.statusCode}`)
  }
  return (performance.now() - t0) * 1000 / count
}

const apps = { bare: await build(false), plugin: await build(true) }
const arms = ['bare:on', 'plugin:on', 'bare:off', 'plugin:off']
let samplerOn = true
const setSampler = (on) => {
  if (on === samplerOn) return
  if (on) pprof.heap.start(512 * 1024, 64)
  else pprof.heap.stop()
  samplerOn = on
}

for (const app of Object.values(apps)) await perRequestUs(app) // warm-up
const runs = []
for (let r = 0; r < rounds; r++) {
  const round = {}
  for (let i = 0; i < arms.length; i++) {
    const arm = arms[(i + r) % arms.length]
    const [name, sampler] = arm.split(':')
    setSampler(sampler === 'on')
    round[arm] = await perRequestUs(apps[name])
  }
  runs.push(round)
}
setSampler(true)
for (const app of Object.values(apps)) await app.close()

const result = { rounds, count, runs }
if (process.send) process.send(result, () => process.exit(0))
else console.log(JSON.stringify(result, null, 2))
