import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify'
import type { RequestTracker } from './tracker.js'

/**
 * Installs the hooks that tell the tracker each request's route and stage, on
 * the app's instance (the plugin is fastify-plugin wrapped, so they apply to
 * the routes the app registers after it, and to its 404s). Each is a WeakMap
 * lookup and a field write. The handler stage comes from wrapping each route's
 * handler as it is added (onRoute): no hook runs between the last preHandler
 * and the handler. Routes added before the plugin (children included: Fastify
 * hands later hooks to existing children) get the hooks but not the wrapper.
 */
export function installRequestHooks (app: FastifyInstance, tracker: RequestTracker): void {
  app.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    tracker.routed(request.raw, request.routeOptions.url)
    done()
  })
  // Callback hooks: the cheapest Fastify runs (no promise per request).
  app.addHook('preParsing', (request, _reply, payload, done) => { tracker.enter(request.raw, 'preParsing'); done(null, payload) })
  app.addHook('preValidation', (request, _reply, done) => { tracker.enter(request.raw, 'preValidation'); done() })
  app.addHook('preHandler', (request, _reply, done) => { tracker.enter(request.raw, 'preHandler'); done() })
  app.addHook('preSerialization', (request, _reply, payload, done) => { tracker.enter(request.raw, 'preSerialization'); done(null, payload) })
  app.addHook('onSend', (request, _reply, payload, done) => { tracker.enter(request.raw, 'onSend'); done(null, payload) })
  app.addHook('onRoute', (route) => {
    const handler = route.handler as RouteHandlerMethod
    route.handler = function (this: FastifyInstance, request, reply) {
      tracker.enter(request.raw, 'handler')
      return handler.call(this, request, reply)
    }
  })
}
