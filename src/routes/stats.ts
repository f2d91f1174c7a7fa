import type { FastifyInstance } from 'fastify'
import type { PprofContext } from '../context.js'
import { errors } from '../errors.js'
import { parseChoice } from '../http/params.js'
import { sendText } from '../http/reply.js'
import { passedOverText } from '../profiler/engines/advice.js'
import { readStats, statsText } from '../stats/snapshot.js'

const SINCE = /^[0-9]{1,16}$/

/** expvar's cmdline without arguments: the executable and the script only. */
function cmdline (full: boolean): string[] {
  if (full) return [...process.argv]
  return process.argv.slice(0, 2)
}

/** Go expvar's exact layout: sorted keys, one per line. */
function expvarJson (vars: Record<string, unknown>): string {
  const keys = Object.keys(vars).sort()
  return '{\n' + keys.map((k) => `${JSON.stringify(k)}: ${JSON.stringify(vars[k])}`).join(',\n') + '\n}\n'
}

export function registerStats (scope: FastifyInstance, ctx: PprofContext): void {
  scope.get('/stats', async (request, reply) => {
    const debug = parseChoice(request.query as Record<string, string>, 'debug', [0, 1])
    const stats = readStats(ctx.sampler)
    stats.node.heapProfiler = {
      engine: ctx.heapEngine.engine.name,
      intervalBytes: ctx.heapIntervalBytes,
      passedOver: passedOverText(ctx.heapEngine)
    }
    if (debug === 1) {
      return sendText(reply, ['# runtime.MemStats', ...statsText(stats.memstats as unknown as Record<string, unknown>), '# node', ...statsText(stats.node, 'node.')].join('\n') + '\n')
    }
    return reply.header('content-type', 'application/json; charset=utf-8').send(stats)
  })

  scope.get('/stats/history', async (request, reply) => {
    const raw = (request.query as Record<string, unknown>).since
    if (raw !== undefined && (typeof raw !== 'string' || !SINCE.test(raw))) {
      throw new errors.FST_PPROF_INVALID_PARAM('since', 'must be a time in ms since the epoch')
    }
    const { history } = ctx.sampler
    return reply.header('content-type', 'application/json; charset=utf-8').send({
      intervalMs: ctx.options.statsIntervalMs,
      capacity: history.capacity,
      series: history.read(raw === undefined ? undefined : Number(raw))
    })
  })

  scope.get('/vars', async (_request, reply) => {
    const { memstats } = readStats(ctx.sampler)
    return reply.header('content-type', 'application/json; charset=utf-8')
      .send(expvarJson({ cmdline: cmdline(ctx.options.exposeArgv), memstats }))
  })
}
