import type { PprofContext } from '../context.js'
import { errors } from '../errors.js'
import { parseChoice, type Query } from '../http/params.js'
import { sendText } from '../http/reply.js'
import { passedOverText } from '../profiler/engines/advice.js'
import { readStats, statsText } from '../stats/memstats.js'
import type { MakeHandler } from './handler.js'

const SINCE = /^[0-9]{1,16}$/
const JSON_TYPE = 'application/json; charset=utf-8'

/** expvar's cmdline without arguments: the executable and the script only. */
function cmdline (full: boolean): string[] {
  return full ? [...process.argv] : process.argv.slice(0, 2)
}

/** Go expvar's exact layout: sorted keys, one per line. */
function expvarJson (vars: Record<string, unknown>): string {
  const keys = Object.keys(vars).sort()
  return '{\n' + keys.map((k) => `${JSON.stringify(k)}: ${JSON.stringify(vars[k])}`).join(',\n') + '\n}\n'
}

/** The census's state for /stats: off, unavailable and why, or its last run's cost. */
function censusStats (ctx: PprofContext): Record<string, unknown> {
  const lw = ctx.options.leakWatch
  if (lw === false || !lw.census) return { enabled: false, available: false, reason: 'leakWatch.census is off' }
  const status = ctx.census?.status()
  if (status === undefined) return { enabled: true, available: false, reason: 'not started' }
  const last = status.last
  return {
    enabled: true,
    available: status.available,
    reason: status.reason,
    censuses: status.censuses,
    collections: status.collections,
    lastAt: last?.at ?? null,
    lastObjects: last?.objects ?? null,
    lastFunctions: last?.functions ?? null,
    lastBusyMs: last === null ? null : Math.round(last.busyMs),
    lastCpuMs: last === null ? null : Math.round(last.cpuMs),
    lastMaxSliceMs: last === null ? null : Math.round(last.maxSliceMs * 10) / 10,
    lastTruncated: last?.truncated ?? null
  }
}

/** The stall watch's state for /stats: off, or its threshold, count and last stall (the stalls themselves are at /stalls). */
function stallStats (ctx: PprofContext): Record<string, unknown> {
  const watch = ctx.stalls
  if (watch === undefined) return { enabled: false }
  const last = watch.list()[0]
  return {
    enabled: true,
    thresholdMs: watch.settings.thresholdMs,
    total: watch.total,
    lastAt: last?.at ?? null,
    lastDurationMs: last?.durationMs ?? null,
    watchdogError: watch.watchdogError
  }
}

/** `/stats`: MemStats-like JSON, or Go's `# Name = value` lines with ?debug=1. */
export const stats: MakeHandler = (ctx) => async (request, reply) => {
  const debug = parseChoice(request.query as Query, 'debug', [0, 1])
  const report = readStats(ctx.sampler)
  report.node.heapProfiler = {
    engine: ctx.heapEngine.engine.name,
    intervalBytes: ctx.heapIntervalBytes,
    passedOver: passedOverText(ctx.heapEngine)
  }
  report.node.census = censusStats(ctx)
  report.node.stallWatch = stallStats(ctx)
  if (debug === 1) {
    return sendText(reply, ['# runtime.MemStats', ...statsText(report.memstats as unknown as Record<string, unknown>), '# node', ...statsText(report.node, 'node.')].join('\n') + '\n')
  }
  return reply.header('content-type', JSON_TYPE).send(report)
}

/** `/stats/history`: the sampler's ring of points, as columns; ?since=<ms> for newer ones only. */
export const statsHistory: MakeHandler = (ctx) => async (request, reply) => {
  const raw = (request.query as Query).since
  if (raw !== undefined && (typeof raw !== 'string' || !SINCE.test(raw))) {
    throw new errors.FST_PPROF_INVALID_PARAM('since', 'must be a time in ms since the epoch')
  }
  const { history } = ctx.sampler
  return reply.header('content-type', JSON_TYPE).send({
    intervalMs: ctx.options.statsIntervalMs,
    capacity: history.capacity,
    series: history.read(raw === undefined ? undefined : Number(raw))
  })
}

/** `/vars`: Go expvar's shape. */
export const vars: MakeHandler = (ctx) => async (_request, reply) => {
  const { memstats } = readStats(ctx.sampler)
  return reply.header('content-type', JSON_TYPE).send(expvarJson({ cmdline: cmdline(ctx.options.exposeArgv), memstats }))
}
