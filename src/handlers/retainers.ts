import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8'
import { errors } from '../errors.js'
import { acquireForRequest, Interrupted } from '../http/heavy.js'
import { parseChoice, type Query } from '../http/params.js'
import { sendText } from '../http/reply.js'
import type { Suspect } from '../leaks/analysis.js'
import { snapshotBudget } from '../profiler/heap-snapshot.js'
import { describeEstimate, type Estimate, estimate, FIRST_SNAPSHOT_STALL_FACTOR, formatMs, type Measured } from '../retainers/estimate.js'
import { type RetainersReport, renderClusters } from '../retainers/report.js'
import { analyzeInWorker } from '../retainers/run.js'
import type { MakeHandler } from './handler.js'

const MB = 1024 * 1024
const MAX_CLUSTERS = 20

/** What one registration remembers between calls: the base to compare with, and its own measured rates. */
interface Memory {
  /** Highest object id of the previous snapshot; undefined before the first. */
  watermark: number | undefined
  /** Ids of the sentinels then (one per registration): none of them now means V8 numbered objects anew. */
  sentinelIds: readonly number[]
  measured: Measured | undefined
  /** Lives as long as this registration, so that every snapshot holds it. */
  readonly sentinel: RetainersSentinel
}

/**
 * Found by its constructor's name in each snapshot (a class declared here: a
 * computed name is not the one V8's snapshot gives the instance). Its id
 * stays the same between two snapshots unless V8 threw all ids away in
 * between (HeapProfiler.disable does), whatever the highest id says.
 */
class RetainersSentinel {}

interface Answer extends RetainersReport {
  readonly snapshot: {
    readonly stallMs: number
    readonly parseMs: number
    readonly analyzeMs: number
    readonly estimate: Estimate
  }
  /** The leak watch's suspects (allocation sites), for reading beside the clusters; null with the watch off. */
  readonly suspects: readonly Suspect[] | null
}

/**
 * `/leaks/retainers` (deep mode, opt-in): writes a heap snapshot, parses it
 * in a worker and answers the retainer paths of the objects that are new
 * since this registration's previous call. Refused with the estimate when
 * the options' limits forbid the cost; the snapshot file is deleted on every
 * path, only the small result is kept.
 */
export const retainers: MakeHandler = (ctx) => {
  const limits = ctx.options.retainers
  const memory: Memory = { watermark: undefined, sentinelIds: [], measured: undefined, sentinel: new RetainersSentinel() }
  const snapshotDir = ctx.options.leakWatch === false ? os.tmpdir() : ctx.options.leakWatch.dir

  return async (request, reply) => {
    if (limits === false) throw new errors.FST_PPROF_UNKNOWN_PROFILE()
    // A HEAD (a link checker, a probe) must not stop the event loop for a snapshot.
    if (request.method === 'HEAD') return reply.header('content-type', 'application/json; charset=utf-8').send()
    const debug = parseChoice(request.query as Query, 'debug', [0, 1])
    const cost = estimate(getHeapStatistics().used_heap_size, memory.measured)
    const over: string[] = []
    if (cost.stallMs > limits.maxStallSeconds * 1000) over.push(`retainers.maxStallSeconds is ${limits.maxStallSeconds}`)
    if (cost.extraBytes > limits.maxExtraMemoryMB * MB) over.push(`retainers.maxExtraMemoryMB is ${limits.maxExtraMemoryMB}`)
    if (over.length > 0) throw new errors.FST_PPROF_RETAINERS_REFUSED(`${describeEstimate(cost)}; ${over.join(' and ')}`)
    const { available } = snapshotBudget()
    if (cost.extraBytes + cost.fileBytes > available) {
      throw new errors.FST_PPROF_INSUFFICIENT_MEMORY(Math.ceil((cost.extraBytes + cost.fileBytes) / MB), Math.round(available / MB))
    }
    // The parse takes about as long as the stall (measured: 2.7 s after a 9.2 s stall): twice it, for Retry-After.
    const lease = acquireForRequest(ctx, reply, 'retainer analysis', cost.stallMs * 2 + 1000)
    let dir: string | undefined
    // Before the answer goes out: whoever reads it finds the file gone and the lease free.
    const cleanUp = async (): Promise<void> => {
      lease.release()
      const written = dir
      dir = undefined
      if (written !== undefined) {
        await rm(written, { recursive: true, force: true }).catch((err: unknown) => request.log.error({ err }, 'fastify-pprof: could not delete a heap snapshot'))
      }
    }
    try {
      await mkdir(snapshotDir, { recursive: true, mode: 0o700 })
      dir = await mkdtemp(join(snapshotDir, 'retainers-'))
      const started = performance.now()
      const path = writeHeapSnapshot(join(dir, 'heap.heapsnapshot'))
      const stallMs = performance.now() - started
      await chmod(path, 0o600)
      const base = memory.watermark
      const result = await analyzeInWorker({ path, watermark: base ?? Infinity, maxClusters: MAX_CLUSTERS, sentinel: RetainersSentinel.name }, lease.signal)
      await cleanUp()
      const { analysis } = result
      const kept = analysis.sentinelIds.some((id) => memory.sentinelIds.includes(id))
      const reset = base !== undefined && (analysis.maxNodeId < base || (memory.sentinelIds.length > 0 && !kept))
      memory.watermark = analysis.maxNodeId
      memory.sentinelIds = analysis.sentinelIds
      const perNode = stallMs * 1000 / Math.max(1, analysis.nodes)
      memory.measured = {
        heapBytesPerNode: cost.heapUsed / Math.max(1, analysis.nodes),
        stallUsPerNode: memory.measured === undefined ? perNode / FIRST_SNAPSHOT_STALL_FACTOR : perNode
      }
      const baseline = base === undefined || reset
      const answer: Answer = {
        baseline,
        note: base === undefined
          ? 'baseline taken: the first snapshot has nothing to compare with; call again to see what is new since'
          : reset
            ? 'V8 numbered its objects anew since the previous snapshot (an inspector HeapProfiler.disable: an /allocs window or the inspector heap engine), so nothing can be called new: this snapshot is the new base; call again'
            : `objects new since the previous snapshot (ids above ${base})`,
        watermark: baseline ? null : base,
        idsReset: reset,
        maxNodeId: analysis.maxNodeId,
        nodes: { total: analysis.nodes, reachable: analysis.reachable, new: baseline ? 0 : analysis.newNodes },
        newBytes: baseline ? 0 : analysis.newBytes,
        clusters: baseline ? [] : analysis.clusters,
        snapshot: { stallMs: Math.round(stallMs), parseMs: Math.round(result.parseMs), analyzeMs: Math.round(result.analyzeMs), estimate: cost },
        suspects: ctx.leakWatch?.report().suspects ?? null
      }
      if (debug === 1) return sendText(reply, answerText(answer))
      return reply.header('content-type', 'application/json; charset=utf-8').send(answer)
    } catch (err) {
      const reason: unknown = lease.signal.reason
      if (!(reason instanceof Interrupted)) {
        // The worker's own failures (a snapshot it cannot read, a crash) are the profiler's, not a bug of the route.
        throw err instanceof Error && !('statusCode' in err) ? new errors.FST_PPROF_PROFILER_FAILED(`retainer analysis: ${err.message}`) : err
      }
      if (reason.by === 'shutdown') throw new errors.FST_PPROF_SHUTTING_DOWN()
      request.log.info({ url: request.url }, 'fastify-pprof: client went away; retainer analysis stopped')
      reply.hijack()
      reply.raw.destroy()
      return undefined
    } finally {
      await cleanUp()
    }
  }
}

function answerText (a: Answer): string {
  const e = a.snapshot.estimate
  const lines = [
    renderClusters(a).trimEnd(),
    '',
    `cost: the event loop stopped ${formatMs(a.snapshot.stallMs)} (estimated ${formatMs(e.stallMs)} for ${e.nodes} nodes, ${e.basis}); parse ${formatMs(a.snapshot.parseMs)} and analysis ${formatMs(a.snapshot.analyzeMs)} in a worker`
  ]
  if (a.suspects !== null) {
    lines.push('', a.suspects.length === 0 ? 'leak watch: no suspects' : 'leak watch suspects (allocation sites), most certain first:')
    for (const s of a.suspects) lines.push(`  ${(s.growthBytes / MB).toFixed(1).padStart(7)} MB  ${s.function}  ${s.file}:${s.line}`)
  }
  return lines.join('\n') + '\n'
}
