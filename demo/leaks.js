// The two leaks the demo can switch on, each modelled on a real one.
//
// 1. gorilla/context (Go): per-request data kept in a package-level map keyed
//    by the request, cleared only if the handler remembered to. Here: a
//    module-level Map keyed by the upgrade request of each websocket.
// 2. A listener added per connection to a long-lived emitter and never
//    removed: the closure keeps the whole connection alive.
import { EventEmitter } from 'node:events'

/** Per-connection session data; the key is the upgrade request object. */
const requestContext = new Map()

/** Server-wide announcements that every open connection receives. */
export const announcements = new EventEmitter()
// A real app raises the limit to silence the warning, which hides the leak too.
announcements.setMaxListeners(0)

/**
 * Builds the per-connection session: who the user is, where they connect from,
 * and a rate-limit window per message kind. Kept until the connection closes.
 * (Large enough that V8 does not inline it into its caller, so heap profiles
 * charge its allocations to it: see the README's note on V8 attribution.)
 */
export function rememberRequestContext (request, user) {
  const headers = request.headers
  const agent = String(headers['user-agent'] ?? 'unknown')
  const client = {
    agent,
    browser: agent.includes('Firefox') ? 'firefox' : agent.includes('Chrome') ? 'chrome' : agent.includes('Safari') ? 'safari' : 'other',
    language: String(headers['accept-language'] ?? 'en').split(',')[0],
    origin: String(headers.origin ?? ''),
    protocol: String(headers['sec-websocket-protocol'] ?? ''),
    version: Number(headers['sec-websocket-version'] ?? 13)
  }
  const buckets = []
  for (let i = 0; i < 256; i++) {
    let tokens
    switch (i % 4) {
      case 0: tokens = 10; break
      case 1: tokens = 50; break
      case 2: tokens = 100; break
      default: tokens = 1
    }
    buckets.push({ kind: i, tokens, capacity: tokens, refilledAt: Date.now(), note: `bucket-${user}-${i}` })
  }
  const roles = user.startsWith('admin') ? ['read', 'write', 'admin'] : user.startsWith('bot') ? ['read'] : ['read', 'write']
  const sessionId = `${user}:${client.browser}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 10)}`
  const context = {
    sessionId,
    roles,
    user,
    client,
    joinedAt: Date.now(),
    ip: request.ip,
    buckets,
    history: [],
    preferences: { theme: 'light', notifications: true, language: client.language }
  }
  requestContext.set(request, context)
  return context
}

/** What a correct handler does on close; the leaky one forgets. */
export function forgetRequestContext (request) {
  requestContext.delete(request)
}

export function requestContextSize () {
  return requestContext.size
}

/** Forwards announcements to one socket; returns the function that unsubscribes. */
export function subscribeToAnnouncements (socket, user) {
  const greeting = { to: user, since: new Date().toISOString(), seen: [] }
  const onAnnouncement = (text) => {
    greeting.seen.push(text)
    if (socket.readyState === 1) socket.send(JSON.stringify({ type: 'announcement', text }))
  }
  announcements.on('announcement', onAnnouncement)
  return () => announcements.off('announcement', onAnnouncement)
}
