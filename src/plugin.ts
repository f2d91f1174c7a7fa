import type { FastifyInstance } from 'fastify'
import { PprofContext } from './context.js'
import { prepareScope } from './http/scope.js'
import type { ResolvedOptions } from './options.js'
import { engineWarning } from './profiler/engines/advice.js'
import type { RequestTracker } from './requests/tracker.js'
import type { StallWatch } from './stalls/watch.js'
import { ROUTES } from './routes.js'

/** The encapsulated scope mounted at the prefix: every route of the table. */
export async function pprofScope (scope: FastifyInstance, opts: { resolved: ResolvedOptions, requests?: RequestTracker, stalls?: StallWatch }): Promise<void> {
  const ctx = new PprofContext(opts.resolved, scope.log)
  ctx.stalls = opts.stalls
  opts.stalls?.watchGc(ctx.sampler.gc)
  const warning = engineWarning(ctx.heapEngine)
  if (warning !== undefined) scope.log.warn(warning)
  if (ctx.heapIntervalBytes !== opts.resolved.heapIntervalBytes) {
    scope.log.warn(`fastify-pprof: heapIntervalBytes is ${opts.resolved.heapIntervalBytes}, but V8's one heap sampler already runs at ${ctx.heapIntervalBytes} for another registration in this process; profiles say ${ctx.heapIntervalBytes}`)
  }
  ctx.sampler.watchServer(scope.server, opts.requests)
  ctx.startCensus(scope, scope.server)
  // The census's script list is its one long step: taken while nothing is served yet.
  scope.addHook('onReady', function (done) {
    ctx.census?.prepare()
    // After that step: start-up work is not a stall of a serving server. Started
    // here, the watchdog thread exists once ready() resolves.
    ctx.stalls?.start()
    done()
  })
  // Synchronous, so it has counted the listening socket by the time listen() resolves.
  scope.addHook('onListen', function (done) {
    ctx.sampler.countNow()
    done()
  })
  // preClose runs before the server waits for in-flight requests: a running
  // profile must end now, not after its 30 seconds.
  scope.addHook('preClose', async () => ctx.beginShutdown())
  scope.addHook('onClose', async () => {
    ctx.close()
    // The watchdog's session is disconnected before the app is said closed.
    await ctx.stalls?.stop()
  })

  await prepareScope(scope, ctx)
  for (const route of ROUTES) {
    if (route.optIn !== undefined && ctx.options[route.optIn] === false) continue
    scope.route({
      method: route.methods === undefined ? 'GET' : [...route.methods],
      url: route.path,
      config: { audit: route.audit === true },
      handler: route.serve(ctx, ROUTES)
    })
  }
}
