// Server CPU per request with a fresh server process per arm and repetition,
// arms interleaved, measured over the load window only (after a warm-up).
// A cross-check of throughput.js, whose long-lived server processes all share
// cpu0: there the plugin arm has shown 1.3-1.5x CPU per request on a loaded
// machine, while this method shows no difference beyond noise.
//
//   node bench/throughput-fresh.js [--reps=6] [arm ...]   (arms as in throughput-server.js)
import { execFileSync, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const args = process.argv.slice(2)
const reps = Number(args.find((a) => a.startsWith('--reps='))?.slice(7) ?? 6)
const arms = args.filter((a) => !a.startsWith('--'))
if (arms.length === 0) arms.push('bare', 'plugin')
const here = (file) => fileURLToPath(new URL(file, import.meta.url))

async function ask (child, message) {
  child.send(message)
  return (await once(child, 'message'))[0]
}

const gen = fork(here('./loadgen.js'), [])
await once(gen, 'message')
execFileSync('taskset', ['-a', '-p', '-c', '1', String(gen.pid)], { stdio: 'ignore' })
const results = Object.fromEntries(arms.map((a) => [a, []]))
for (let r = 0; r < reps; r++) {
  for (const arm of arms) {
    const server = fork(here('./throughput-server.js'), [arm, '0'])
    const [{ port }] = await once(server, 'message')
    await ask(gen, { cmd: 'run', port, path: '/plain', conns: 50, durationMs: 1500 })
    const u0 = await ask(server, { cmd: 'usage' })
    const res = await ask(gen, { cmd: 'run', port, path: '/plain', conns: 50, durationMs: 3000 })
    const u1 = await ask(server, { cmd: 'usage' })
    results[arm].push({ cpu: ((u1.cpu.user - u0.cpu.user) + (u1.cpu.system - u0.cpu.system)) / res.requests, rps: res.rps })
    server.send({ cmd: 'close' })
    await once(server, 'exit')
  }
}
gen.kill()
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log('| arm | server µs CPU/request, median (all reps) | req/s median |')
console.log('| --- | --- | --- |')
for (const arm of arms) {
  const rows = results[arm]
  console.log(`| ${arm} | ${median(rows.map((x) => x.cpu)).toFixed(1)} (${rows.map((x) => x.cpu.toFixed(0)).join(' ')}) | ${median(rows.map((x) => x.rps)).toFixed(0)} |`)
}
