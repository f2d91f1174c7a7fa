import type { FastifyInstance } from 'fastify'
import type { StallWatch } from './watch.js'

/**
 * Tells the stall watch which route is being served, on the app's instance
 * (fastify-plugin: they see the app's routes). onRequest and preHandler both
 * write it: after an await, another request may have written its own in
 * between, and preHandler runs last before the handler. onResponse clears it,
 * so a stall in a timer on an idle server names no route. A stall after an
 * await inside a handler can name another request's route that ran in
 * between; the incident's profile says which code it was.
 */
export function installStallHooks (app: FastifyInstance, watch: StallWatch): void {
  // Callback hooks: no promise per request.
  app.addHook('onRequest', (request, _reply, done) => { watch.serving(request.routeOptions.url); done() })
  app.addHook('preHandler', (request, _reply, done) => { watch.serving(request.routeOptions.url); done() })
  app.addHook('onResponse', (_request, _reply, done) => { watch.served(); done() })
}
