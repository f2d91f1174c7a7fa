import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import { errors } from '../errors.js'

/** Sends a gzipped profile the way net/http/pprof does. */
export function sendProfile (reply: FastifyReply, filename: string, body?: Buffer | Readable): FastifyReply {
  return reply
    .header('content-type', 'application/octet-stream')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .send(body)
}

export function sendText (reply: FastifyReply, text: string): FastifyReply {
  return reply.header('content-type', 'text/plain; charset=utf-8').send(text)
}

/**
 * Go ≤ 1.22 refuses a profile that would outlive the server's WriteTimeout
 * (golang/go#18755); Fastify's connectionTimeout would cut the socket the
 * same way, mid-profile.
 */
export function checkDuration (request: FastifyRequest, seconds: number): void {
  const timeout = request.server.initialConfig.connectionTimeout ?? 0
  if (timeout > 0 && seconds * 1000 >= timeout) {
    throw new errors.FST_PPROF_EXCEEDS_TIMEOUT(seconds, timeout)
  }
}
