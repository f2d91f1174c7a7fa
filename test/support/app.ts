import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fastifyPprof, { type FastifyPprofOptions } from '../../src/index.js'

/** A fresh app with the plugin registered, ready for inject(). */
export async function build (
  opts: FastifyPprofOptions = {},
  serverOpts: FastifyServerOptions = {},
  hostRoutes?: (app: FastifyInstance) => void
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...serverOpts })
  hostRoutes?.(app)
  await app.register(fastifyPprof, opts)
  await app.ready()
  return app
}

export function basic (username: string, password: string): string {
  return 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64')
}
