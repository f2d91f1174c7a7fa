import type { FastifyRequest } from 'fastify'
import { errors } from '../errors.js'

export type Query = Record<string, string | string[] | undefined>

// Decimal digits only, no sign, no leading zero: what Ajv's coercion lets
// through (" 5", "0x10", "1e3", "Infinity", "1.0") must fail.
const POSITIVE = /^[1-9][0-9]{0,9}$/

function single (query: Query, name: string): string | undefined {
  const value = query[name]
  if (Array.isArray(value)) throw new errors.FST_PPROF_INVALID_PARAM(name, 'must be given once')
  return value
}

/** `seconds`: absent gives the fallback; anything else must be an integer in 1..max. */
export function parseSeconds (query: Query, fallback: number | undefined, max: number): number | undefined {
  const raw = single(query, 'seconds')
  if (raw === undefined) return fallback
  const n = POSITIVE.test(raw) ? Number(raw) : NaN
  if (!(n >= 1 && n <= max)) {
    throw new errors.FST_PPROF_INVALID_PARAM('seconds', `must be a positive integer from 1 to ${max}`)
  }
  return n
}

/** A small enumerated integer flag such as `gc` (0|1) or `debug` (0|1|2). */
export function parseChoice (query: Query, name: string, allowed: readonly number[]): number {
  const raw = single(query, name)
  if (raw === undefined) return 0
  const n = /^[0-9]$/.test(raw) ? Number(raw) : NaN
  if (!allowed.includes(n)) {
    throw new errors.FST_PPROF_INVALID_PARAM(name, `must be one of ${allowed.join(', ')}`)
  }
  return n
}

/**
 * Go ≤ 1.22 refuses a profile that would outlive the server's WriteTimeout
 * (golang/go#18755); Fastify's connectionTimeout would cut the socket the
 * same way, mid-profile.
 */
export function checkWithinTimeout (request: FastifyRequest, seconds: number): void {
  const timeout = request.server.initialConfig.connectionTimeout ?? 0
  if (timeout > 0 && seconds * 1000 >= timeout) {
    throw new errors.FST_PPROF_EXCEEDS_TIMEOUT(seconds, timeout)
  }
}
