import fastifyBasicAuth from '@fastify/basic-auth'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isIPv4 } from 'node:net'
import { errors } from '../errors.js'
import type { ResolvedAuth, ResolvedOptions } from '../options.js'
import { credentialsMatch } from './credentials.js'
import { FailureLimiter } from './rate-limit.js'

type AuthCheck = (username: string, password: string, request: FastifyRequest) => Promise<boolean>

/** One check, whichever form auth took; anything but a literal true from a validator (a truthy string) is a refusal. */
function authCheck (auth: ResolvedAuth): AuthCheck {
  if ('credentials' in auth) {
    const expected = auth.credentials
    return async (username, password) => credentialsMatch(expected, username, password)
  }
  const validate = auth.validate
  return async (username, password, request) => (await validate(username, password, request)) === true
}

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

async function requireLoopback (request: FastifyRequest): Promise<void> {
  if (!isLoopbackAddress(request.raw.socket?.remoteAddress)) {
    throw new errors.FST_PPROF_FORBIDDEN('without auth, only loopback clients are served')
  }
  if (!isLoopbackHost(request.headers.host)) {
    throw new errors.FST_PPROF_FORBIDDEN('without auth, only a loopback Host is served')
  }
}

async function useBasicAuth (scope: FastifyInstance, auth: ResolvedAuth, options: ResolvedOptions): Promise<void> {
  const limiter = new FailureLimiter(options.authRateLimit)
  const check = authCheck(auth)
  // Throttle before the credentials are even looked at: no work for a flood.
  scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const wait = limiter.blockedFor(request.ip)
    if (wait > 0) {
      reply.header('retry-after', String(wait))
      throw new errors.FST_PPROF_TOO_MANY_FAILURES()
    }
  })
  // Registered here, @fastify/basic-auth's decorator lands in this scope only
  // and shadows a host's own basicAuth without clashing with it.
  await scope.register(fastifyBasicAuth, {
    authenticate: { realm: auth.realm },
    validate: async (username: string, password: string, request: FastifyRequest) => {
      let ok = false
      try {
        ok = await check(username, password, request)
      } catch (err) {
        request.log.warn({ err }, 'fastify-pprof: auth.validate threw; refusing')
      }
      if (!ok) throw new Error('Unauthorized')
    }
  })
  scope.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    scope.basicAuth(request, reply, (err?: Error) => {
      // A browser's first request carries no credentials; only attempts count.
      if (err !== undefined && request.headers.authorization !== undefined) limiter.recordFailure(request.ip)
      done(err)
    })
  })
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
  if (options.auth !== undefined) {
    await useBasicAuth(scope, options.auth, options)
  } else if (!options.exposeWithoutAuth) {
    scope.addHook('onRequest', requireLoopback)
  }
}
