import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fastifyPprof, { type FastifyPprofOptions } from '../../src/index.js'

/**
 * A fresh app with the plugin registered, ready for inject(). The stall watch is off unless asked for: on a loaded
 * runner it catches the runner's own stalls and holds V8's CPU profiler while it profiles them, and a test's
 * /profile that lands then (or in the few ms after a stall before the watchdog stops) is answered 409, as
 * designed (the CI run saw cpu.test's and instances.test's profiles refused). test/stalls.test.ts asks for it; the
 * child-process apps (leak, holder, stall and demo fixtures, the packed tarball) run it on, as its default is.
 */
export async function build (
  opts: FastifyPprofOptions = {},
  serverOpts: FastifyServerOptions = {},
  hostRoutes?: (app: FastifyInstance) => void
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...serverOpts })
  hostRoutes?.(app)
  await app.register(fastifyPprof, { stallWatch: false, ...opts })
  await app.ready()
  return app
}

export function basic (username: string, password: string): string {
  return 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64')
}
