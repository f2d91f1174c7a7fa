import fastifyBasicAuth from '@fastify/basic-auth'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createHash, timingSafeEqual } from 'node:crypto'
import { isIPv4 } from 'node:net'
import { errors } from '../errors.js'
import type { ResolvedOptions } from '../options.js'

export function isLoopbackAddress (address: string | undefined): boolean {
  if (address === undefined) return false
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address
  if (isIPv4(v4)) return v4.startsWith('127.')
  return address === '::1'
}

/**
 * A browser tricked by DNS rebinding sends the attacker's name in Host; a
 * loopback-only server must refuse it even though the socket is local.
 */
export function isLoopbackHost (host: string | undefined): boolean {
  if (host === undefined) return true
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::[0-9]{1,5})?$/.exec(host)
  if (match === null) return false
  const name = (match[1] as string).toLowerCase()
  if (name === 'localhost') return true
  if (name.startsWith('[')) return isLoopbackAddress(name.slice(1, -1))
  return isIPv4(name) && name.startsWith('127.')
}

function digest (text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

/** Compares both fields in constant time, always both, whatever their lengths. */
export function credentialsMatch (expected: { username: string, password: string }, username: string, password: string): boolean {
  const userOk = timingSafeEqual(digest(username), digest(expected.username))
  const passOk = timingSafeEqual(digest(password), digest(expected.password))
  return userOk && passOk
}

/**
 * Adds the access rules to the plugin's scope, first in line: nothing under
 * the prefix (pages, profiles, unknown paths) runs for a refused request.
 */
export async function guardScope (scope: FastifyInstance, options: ResolvedOptions): Promise<void> {
  scope.addHook('onRequest', async (request: FastifyRequest) => {
    // A page elsewhere must not make a logged-in browser start profiles.
    if (request.headers['sec-fetch-site'] === 'cross-site') {
      throw new errors.FST_PPROF_FORBIDDEN('cross-site request')
    }
  })
  const auth = options.auth
  if (auth === undefined) {
    scope.addHook('onRequest', async (request: FastifyRequest) => {
      if (!isLoopbackAddress(request.raw.socket?.remoteAddress)) {
        throw new errors.FST_PPROF_FORBIDDEN('without auth, only loopback clients are served')
      }
      if (!isLoopbackHost(request.headers.host)) {
        throw new errors.FST_PPROF_FORBIDDEN('without auth, only a loopback Host is served')
      }
    })
    return
  }
  await scope.register(fastifyBasicAuth, {
    authenticate: { realm: auth.realm },
    validate: async (username: string, password: string) => {
      if (!credentialsMatch(auth, username, password)) throw new Error('Unauthorized')
    }
  })
  scope.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    scope.basicAuth(request, reply, done)
  })
}
