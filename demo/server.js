// The demo `npm start` runs. Flags: --leak switches on the leaks in leaks.js,
// --load also starts demo/load.js against it (what `npm run demo:leak` does).
// Environment: HOST (127.0.0.1), PORT (3000), PPROF_USER and PPROF_PASSWORD
// (when both are set the debug routes need basic auth; otherwise they answer
// loopback clients only), LOAD_SECONDS for --load (default: until stopped),
// LEAK_WATCH_MS (the leak watch's interval; default 5 minutes, 5 seconds with
// --leak so that the page names the leak within minutes), LOAD_RATE for --load
// (connections opened per second; default 8, about 1.5 GB an hour leaked).
import { fork } from 'node:child_process'
import { buildDemoApp } from './app.js'

const leak = process.argv.includes('--leak')
const withLoad = process.argv.includes('--load')
const host = process.env.HOST ?? '127.0.0.1'
const port = Number(process.env.PORT ?? 3000)
const user = process.env.PPROF_USER
const password = process.env.PPROF_PASSWORD
const auth = user && password ? { username: user, password } : undefined

const leakWatchMs = process.env.LEAK_WATCH_MS ? Number(process.env.LEAK_WATCH_MS) : leak ? 5000 : undefined
const app = await buildDemoApp({ leak, auth, leakWatchMs, logger: { level: process.env.LOG_LEVEL ?? 'warn' } })
let load
const shutdown = async () => {
  load?.kill()
  await app.close()
  process.exit(0)
}
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)

await app.listen({ host, port })
const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
const credBase = auth ? base.replace('http://', `http://${auth.username}:$PPROF_PASSWORD@`) : base
console.log(`
fastify-pprof demo on ${base}${leak ? '  (LEAK ON)' : ''}
  page:          ${base}/debug
  stats:         ${base}/debug/stats
  leak watch:    ${base}/debug/leaks?debug=1
  Go index:      ${base}/debug/pprof/
  websocket:     ws://${host}:${port}/chat?user=NAME
  connections:   ${base}/connections

Try:
  go tool pprof -top ${credBase}/debug/heap
  go tool pprof -top -seconds 10 ${credBase}/debug/profile
  curl -s '${base}/debug/heap?seconds=30&gc=1' > delta.pb.gz && go tool pprof -top delta.pb.gz
`)

if (withLoad) {
  const args = ['--url', `ws://${host}:${port}/chat`, '--concurrency', '16', '--rate', process.env.LOAD_RATE ?? '8']
  if (process.env.LOAD_SECONDS) args.push('--seconds', process.env.LOAD_SECONDS)
  load = fork(new URL('./load.js', import.meta.url), args, { stdio: 'inherit' })
  load.on('exit', () => { load = undefined })
}
