// A hello-world Fastify server for the throughput suite, one process per arm.
//
//   node bench/throughput-server.js <arm> [cpu]
//
// arms:
//   bare              no plugin, heap sampler off
//   sampler           no plugin, npm pprof heap.start(512 KiB, 64) only
//   plugin            fastify-pprof registered with defaults (it starts the heap sampler)
//   plugin-nosampler  fastify-pprof registered, then npm pprof heap.stop() (the plugin
//                     has no option to disable the sampler; stop() is idempotent)
//   plugin-nostalls   fastify-pprof registered with stallWatch: false (bench/stall-cost.js)
// Every arm serves GET /plain → {hello:'world'} from the root instance.
// With a cpu id as second argument, all of the process's threads are pinned there.
// Control over IPC: { cmd: 'usage' } → { cpu: process.cpuUsage(), elu, rss, at: performance.now() }; { cmd: 'close' }.
import { execFileSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'

const [arm, cpu] = process.argv.slice(2)
if (cpu !== undefined) execFileSync('taskset', ['-a', '-p', '-c', cpu, String(process.pid)], { stdio: 'ignore' })

const { default: Fastify } = await import('fastify')
const app = Fastify({ logger: false })

if (arm === 'plugin' || arm === 'plugin-nosampler') {
  const { default: fastifyPprof } = await import('fastify-pprof')
  await app.register(fastifyPprof)
} else if (arm === 'plugin-nostalls') {
  const { default: fastifyPprof } = await import('fastify-pprof')
  await app.register(fastifyPprof, { stallWatch: false })
} else if (arm === 'sampler') {
  const { default: pprof } = await import('pprof')
  pprof.heap.start(512 * 1024, 64)
} else if (arm !== 'bare') {
  throw new Error(`unknown arm ${arm}`)
}

app.get('/plain', async () => ({ hello: 'world' }))
await app.listen({ port: 0, host: '127.0.0.1' })

if (arm === 'plugin-nosampler') {
  const { default: pprof } = await import('pprof')
  pprof.heap.stop()
}

process.on('message', async (m) => {
  if (m.cmd === 'usage') {
    process.send({ cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), rss: process.memoryUsage.rss(), at: performance.now() })
  } else if (m.cmd === 'close') {
    await app.close()
    process.exit(0)
  }
})
process.send({ port: app.server.address().port })
