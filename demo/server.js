// The demo `npm start` runs: a small Fastify app with fastify-pprof mounted.
// Environment: HOST (127.0.0.1), PORT (3000), PPROF_USER and PPROF_PASSWORD
// (when both are set the debug routes need basic auth; otherwise they answer
// loopback clients only).
import Fastify from 'fastify'
import fastifyPprof from 'fastify-pprof'

const host = process.env.HOST ?? '127.0.0.1'
const port = Number(process.env.PORT ?? 3000)
const user = process.env.PPROF_USER
const password = process.env.PPROF_PASSWORD
const auth = user && password ? { username: user, password } : undefined

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
await app.register(fastifyPprof, { auth })

// A little real work so that profiles have something to show.
const recent = []

function checksum (n) {
  let acc = 0
  for (let i = 0; i < n; i++) acc = (acc * 31 + i) % 1_000_003
  return acc
}

app.get('/', async function hello () {
  return { hello: 'world', see: '/debug' }
})

app.get('/work', async function work (request) {
  const n = Math.min(Number(request.query.n ?? 200_000) || 0, 5_000_000)
  const acc = checksum(n)
  recent.push({ at: Date.now(), acc })
  if (recent.length > 1000) recent.shift()
  return { acc }
})

const shutdown = async () => {
  await app.close()
  process.exit(0)
}
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)

await app.listen({ host, port })
const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
const cred = auth ? `${auth.username}:$PPROF_PASSWORD@` : ''
const credBase = base.replace('http://', `http://${cred}`)
console.log(`
fastify-pprof demo on ${base}
  page:          ${base}/debug
  Go index:      ${base}/debug/pprof/
  heap profile:  ${base}/debug/heap
  CPU profile:   ${base}/debug/profile?seconds=10
  some work:     ${base}/work

Try:
  go tool pprof -top ${credBase}/debug/heap
  go tool pprof -top -seconds 10 ${credBase}/debug/profile
  go tool pprof -http=127.0.0.1:8081 ${credBase}/debug/pprof/heap
  curl -s ${base}/debug/heap?debug=1 | head -20
`)
