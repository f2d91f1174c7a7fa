import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { PprofContext } from '../context.js'
import { errors } from '../errors.js'
import { guardScope } from './access.js'
import { basicUser } from './credentials.js'

const BODY_LIMIT = 1024 * 1024

function sendError (reply: FastifyReply, status: number, message: string): FastifyReply {
  // Go's serveError: go tool pprof prints the body only with these two headers.
  return reply
    .code(status)
    .removeHeader('content-disposition')
    .header('content-type', 'text/plain; charset=utf-8')
    .header('x-go-pprof', '1')
    .send(message.endsWith('\n') ? message : message + '\n')
}

/**
 * Makes the plugin's encapsulated scope self-contained: its own headers,
 * access rules, body parsing, error and not-found handling, so the host's
 * choices (a JSON error handler, a body parser) do not reshape our answers.
 */
export async function prepareScope (scope: FastifyInstance, ctx: PprofContext): Promise<void> {
  scope.addHook('onRequest', async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-content-type-options', 'nosniff')
    reply.header('cache-control', 'no-store')
  })
  await guardScope(scope, ctx.options)

  // Only /pprof/symbol takes a body: pprof POSTs it as application/octet-stream.
  scope.removeAllContentTypeParsers()
  scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => {
    done(null, body)
  })

  scope.setErrorHandler((err: FastifyError, request, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
    if (status >= 500) request.log.error({ err }, 'fastify-pprof: request failed')
    // Every 401 reads the same, whatever was wrong with the credentials.
    const message = status === 401 ? 'Unauthorized' : status >= 500 && err.code === undefined ? 'internal error' : err.message
    return sendError(reply, status, message)
  })
  // One audit line per profile request: who, what, with which parameters,
  // how it ended, how long. Never the Authorization header.
  scope.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    if ((request.routeOptions.config as { audit?: boolean }).audit !== true) return
    request.log.info({
      audit: 'fastify-pprof',
      user: ctx.options.auth === undefined ? null : basicUser(request.headers.authorization) ?? null,
      route: request.routeOptions.url,
      params: request.query,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime)
    }, 'fastify-pprof audit')
  })
  scope.setNotFoundHandler(async () => {
    throw new errors.FST_PPROF_UNKNOWN_PROFILE()
  })
}
