import { Slicer } from '../cooperative.js'
import { errors } from '../errors.js'
import { sendHeavyProfile, wait } from '../http/heavy.js'
import { checkWithinTimeout, parseSeconds, type Query } from '../http/params.js'
import { sendProfile } from '../http/reply.js'
import { encodeStacks } from '../pprof/encode.js'
import { FrameTable } from '../pprof/frames.js'
import { cpuShape } from '../pprof/shapes.js'
import { type CpuRecording, CpuProfilerBusy, startCpuProfile } from '../profiler/cpu.js'
import { waitForCpuProfiler } from '../profiler/process-guard.js'
import type { MakeHandler } from './handler.js'

// Longer than the watchdog takes to end a finished stall's profile (its poll and a Profiler.stop: a few ms to
// tens under load); a stall watch still holding the profiler after it means another stall, and a 409.
const STALL_PROFILE_END_MS = 1000

/** `/profile?seconds=N`: Go's CPU profile handler, for the main thread. */
export const cpuProfile: MakeHandler = (ctx) => async (request, reply) => {
  const seconds = parseSeconds(request.query as Query, ctx.options.defaultProfileSeconds, ctx.options.maxProfileSeconds) as number
  checkWithinTimeout(request, seconds)
  // A HEAD must not hold the profiler for half a minute.
  if (request.method === 'HEAD') return sendProfile(reply, 'profile')
  return await sendHeavyProfile(ctx, request, reply, 'cpu profiling', seconds * 1000, 'profile', async (signal) => {
    let recording: CpuRecording
    // A request that came in during a stall runs after it, while the watchdog is ending that stall's profile.
    await waitForCpuProfiler(STALL_PROFILE_END_MS, signal)
    signal.throwIfAborted()
    try {
      recording = startCpuProfile(ctx.options.cpuSamplingHz)
    } catch (err) {
      if (err instanceof CpuProfilerBusy) {
        // The stall ends when the loop turns again: a retry a second later finds the profiler free.
        reply.header('retry-after', '1')
        throw new errors.FST_PPROF_BUSY('stall profile')
      }
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
}
