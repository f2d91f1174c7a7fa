// A real listening Fastify server with the plugin registered, for clients that cannot use inject()
// (go tool pprof, browsers, scrapers).
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyPprof from '../../src/index.js'

export type PluginOptions = NonNullable<Parameters<typeof fastifyPprof>[1]>

export interface LoggedRequest {
  method: string
  /** path and query, as received */
  url: string
}

export interface TestServer {
  app: FastifyInstance
  /** `http://127.0.0.1:PORT`, no trailing slash */
  url: string
  /** `127.0.0.1:PORT` */
  hostPort: string
  /** Every request the server received, in order, logged by a root onRequest hook added before the plugin. */
  requests: LoggedRequest[]
  close: () => Promise<void>
}

export interface StartServerOptions {
  /** Runs on the root instance before the plugin is registered (e.g. to add root hooks). */
  beforePlugin?: (app: FastifyInstance) => void | Promise<void>
}

export async function startServer (
  pluginOpts: PluginOptions = {},
  setup?: (app: FastifyInstance) => void | Promise<void>,
  options: StartServerOptions = {}
): Promise<TestServer> {
  const app = Fastify({ logger: false })
  const requests: LoggedRequest[] = []
  // Root hooks added before register() run for every route of the plugin's (encapsulated) context, and for 404s.
  app.addHook('onRequest', async (request) => {
    requests.push({ method: request.method, url: request.url })
  })
  await options.beforePlugin?.(app)
  await app.register(fastifyPprof, pluginOpts)
  await setup?.(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error(`unexpected listen address ${String(address)}`)
  const hostPort = `127.0.0.1:${address.port}`
  return {
    app,
    url: `http://${hostPort}`,
    hostPort,
    requests,
    close: () => app.close()
  }
}

/** Resolves once `server` has received a request for `url` (path and query, exactly as sent). */
export async function waitForRequest (server: TestServer, url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!server.requests.some((r) => r.url === url)) {
    if (Date.now() > deadline) throw new Error(`no request for ${url} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Requests the server received for pprof's symbolizer (`.../symbol`, `.../symbolz`), as `METHOD url`. */
export function symbolRequests (server: TestServer): string[] {
  return server.requests.filter((r) => /\/symbolz?(\?|$)/.test(r.url)).map((r) => `${r.method} ${r.url}`)
}
