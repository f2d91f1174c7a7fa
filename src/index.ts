import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { errors } from './errors.js'
import { DEFAULTS, type FastifyPprofOptions, resolveOptions } from './options.js'
import { pprofScope } from './plugin.js'
import { installRequestHooks } from './requests/hooks.js'
import { RequestTracker } from './requests/tracker.js'
import { installStallHooks } from './stalls/hooks.js'
import { StallWatch } from './stalls/watch.js'

/**
 * Go's net/http/pprof for Fastify: registers heap and CPU profiles that
 * `go tool pprof` opens, Go-compatible /pprof/ aliases, and a page, under
 * `prefix` (default /debug).
 */
const plugin: FastifyPluginAsync<FastifyPprofOptions> = async (app, opts) => {
  const resolved = resolveOptions(opts)
  if (resolved.auth === undefined && resolved.exposeWithoutAuth) {
    const warn = (): void => app.log.warn(`fastify-pprof: exposeWithoutAuth is set; ${resolved.prefix} answers ANY client without authentication`)
    warn()
    app.addHook('onListen', async () => warn())
  } else if (resolved.auth === undefined) {
    app.log.warn(`fastify-pprof: no auth configured; ${resolved.prefix} answers loopback clients only`)
  }
  // On the app's own instance (fastify-plugin), so the hooks see the app's routes, not only the plugin's.
  const requests = resolved.requests === false ? undefined : new RequestTracker(resolved.requests, resolved.prefix)
  if (requests !== undefined) installRequestHooks(app, requests)
  const stalls = resolved.stallWatch === false ? undefined : new StallWatch(resolved.stallWatch)
  if (stalls !== undefined) installStallHooks(app, stalls)
  // fastify-plugin ignores register()'s prefix, so the scope gets it here.
  await app.register(pprofScope, { prefix: resolved.prefix, resolved, ...(requests === undefined ? {} : { requests }), ...(stalls === undefined ? {} : { stalls }) })
}

/**
 * The plugin. It also carries its named exports as properties (fastify-plugin
 * adds .default and .fastifyPprof), so require('fastify-pprof') is the plugin
 * and has them too, as CommonJS Fastify plugins do.
 */
export const fastifyPprof = Object.assign(fp(plugin, { fastify: '5.x', name: 'fastify-pprof' }), { errors, DEFAULTS })
export default fastifyPprof
export { errors, DEFAULTS }
export type { AuthRateLimit, FastifyPprofOptions, LeakWatchOptions, PprofAuth, PprofAuthCredentials, PprofAuthValidator, RequestsOptions, RetainersOptions, StallWatchOptions } from './options.js'
