// The demo app: a small chat-like websocket service with fastify-pprof
// mounted at /debug. `leak: true` switches on the two leaks in leaks.js.
import Fastify from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import fastifyPprof from 'fastify-pprof'
import {
  announcements, forgetRequestContext, rememberRequestContext, requestContextSize, subscribeToAnnouncements
} from './leaks.js'

function checksum (n) {
  let acc = 0
  for (let i = 0; i < n; i++) acc = (acc * 31 + i) % 1_000_003
  return acc
}

export async function buildDemoApp ({ leak = false, auth, logger = false, leakWatchMs } = {}) {
  const app = Fastify({ logger })
  await app.register(fastifyPprof, { auth, ...(leakWatchMs ? { leakWatch: { intervalMs: leakWatchMs } } : {}) })
  await app.register(fastifyWebsocket)

  let open = 0

  app.get('/', async function hello () {
    return { hello: 'world', see: '/debug', websocket: '/chat?user=NAME', leak }
  })

  // CPU work for the CPU profile to show.
  app.get('/work', async function work (request) {
    const n = Math.min(Number(request.query.n ?? 200_000) || 0, 5_000_000)
    return { acc: checksum(n) }
  })

  app.get('/connections', async function connections () {
    return { open, contexts: requestContextSize(), listeners: announcements.listenerCount('announcement') }
  })

  app.get('/chat', { websocket: true }, function chat (socket, request) {
    const user = String(request.query.user ?? 'anonymous').slice(0, 32)
    const context = rememberRequestContext(request, user)
    const unsubscribe = subscribeToAnnouncements(socket, user)
    open++
    socket.on('message', function onChatMessage (data) {
      const text = data.toString().slice(0, 1024)
      context.history.push({ at: Date.now(), text })
      if (context.history.length > 20) context.history.shift()
      socket.send(JSON.stringify({ type: 'echo', user, text }))
    })
    socket.on('close', function onChatClose () {
      open--
      if (!leak) {
        forgetRequestContext(request)
        unsubscribe()
      }
    })
  })

  // A server-wide announcement every second reaches every subscriber.
  const timer = setInterval(() => announcements.emit('announcement', `tick ${Date.now()}`), 1000)
  timer.unref()
  app.addHook('onClose', async () => clearInterval(timer))
  return app
}
