import type { FastifyReply } from 'fastify'
import type { Readable } from 'node:stream'

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
