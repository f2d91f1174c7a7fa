import type { FastifyInstance } from 'fastify'
import { PprofContext } from './context.js'
import { prepareScope } from './http/scope.js'
import type { ResolvedOptions } from './options.js'
import { registerCpuProfile } from './routes/cpu.js'
import { registerIndexPages } from './routes/index-pages.js'
import { registerPage } from './routes/page.js'
import { NAMED_PROFILES, registerNamedProfile } from './routes/named.js'
import { registerHeapSnapshot } from './routes/heapsnapshot.js'
import { registerStats } from './routes/stats.js'
import { registerSymbol } from './routes/symbol.js'
import { errors } from './errors.js'
import { registerMetrics } from './metrics/index.js'
import { engineWarning } from './profiler/engines/advice.js'

/** The encapsulated scope mounted at the prefix: every route of the plugin. */
export async function pprofScope (scope: FastifyInstance, opts: { resolved: ResolvedOptions }): Promise<void> {
  const ctx = new PprofContext(opts.resolved)
  const warning = engineWarning(ctx.heapEngine)
  if (warning !== undefined) scope.log.warn(warning)
  ctx.sampler.watchServer(scope.server)
  // preClose runs before the server waits for in-flight requests: a running
  // profile must end now, not after its 30 seconds.
  scope.addHook('preClose', async () => ctx.beginShutdown())
  scope.addHook('onClose', async () => ctx.close())

  await prepareScope(scope, ctx)
  registerIndexPages(scope, ctx)
  registerPage(scope, ctx)
  registerCpuProfile(scope, ctx, '/profile')
  registerCpuProfile(scope, ctx, '/pprof/profile')
  for (const profile of NAMED_PROFILES) registerNamedProfile(scope, ctx, `/pprof/${profile.name}`, profile)
  const heap = NAMED_PROFILES.find((p) => p.name === 'heap')
  if (heap !== undefined) registerNamedProfile(scope, ctx, '/heap', heap)
  const allocs = NAMED_PROFILES.find((p) => p.name === 'allocs')
  if (allocs !== undefined) registerNamedProfile(scope, ctx, '/allocs', allocs)
  registerSymbol(scope, ctx, '/pprof/symbol')
  registerStats(scope, ctx)
  if (ctx.options.heapSnapshot) registerHeapSnapshot(scope, ctx)
  registerMetrics(scope, ctx)
  // cmdline can hold secrets; a Go execution trace has no Node equivalent.
  scope.get('/pprof/cmdline', async () => { throw new errors.FST_PPROF_UNKNOWN_PROFILE() })
  scope.get('/pprof/trace', async () => { throw new errors.FST_PPROF_NOT_IMPLEMENTED('execution traces are a Go runtime feature') })
}
