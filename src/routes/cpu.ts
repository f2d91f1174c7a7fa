import type { FastifyInstance } from 'fastify'
import { Slicer } from '../cooperative.js'
import type { PprofContext } from '../context.js'
import { errors } from '../errors.js'
import { Interrupted, answerInterrupted, runHeavy, wait } from '../http/heavy.js'
import { parseSeconds } from '../http/params.js'
import { checkDuration, sendProfile } from '../http/reply.js'
import { encodeStacks } from '../pprof/encode.js'
import { FrameTable } from '../pprof/frames.js'
import { cpuShape } from '../pprof/shapes.js'
import { startCpuProfile } from '../profiler/cpu.js'

/** `/profile?seconds=N`: Go's CPU profile handler, for the main thread. */
export function registerCpuProfile (scope: FastifyInstance, ctx: PprofContext, path: string): void {
  scope.get(path, { config: { audit: true } }, async (request, reply) => {
    const query = request.query as Record<string, string | string[] | undefined>
    const seconds = parseSeconds(query, ctx.options.defaultProfileSeconds, ctx.options.maxProfileSeconds) as number
    checkDuration(request, seconds)
    // A HEAD must not hold the profiler for half a minute.
    if (request.method === 'HEAD') return sendProfile(reply, 'profile')
    try {
      const body = await runHeavy(ctx, reply, 'cpu profiling', seconds * 1000, async (signal) => {
        let recording
        try {
          recording = startCpuProfile(ctx.options.cpuSamplingHz)
        } catch (err) {
          throw new errors.FST_PPROF_PROFILER_FAILED((err as Error).message)
        }
        try {
          await wait(seconds * 1000, signal)
        } catch (err) {
          recording.discard()
          throw err
        }
        const frames = new FrameTable()
        const slicer = new Slicer(signal)
        const cpu = await recording.stop(frames, slicer)
        const meta = { timeNanos: cpu.startNanos, durationNanos: cpu.durationNanos }
        return await encodeStacks(ctx.frameMapper, cpuShape(cpu.periodNanos), frames, cpu.stacks.values(), meta, slicer)
      })
      return sendProfile(reply, 'profile', body)
    } catch (err) {
      if (err instanceof Interrupted) return answerInterrupted(err, request, reply)
      throw err
    }
  })
}
