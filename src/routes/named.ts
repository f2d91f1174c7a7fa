import type { FastifyInstance, FastifyReply } from 'fastify'
import { Slicer } from '../cooperative.js'
import type { PprofContext } from '../context.js'
import { GO_PROFILE_DESCRIPTIONS } from '../endpoints.js'
import { errors } from '../errors.js'
import { Interrupted, answerInterrupted, runHeavy, wait } from '../http/heavy.js'
import { parseChoice, parseSeconds } from '../http/params.js'
import { checkDuration, sendProfile, sendText } from '../http/reply.js'
import { deltaStacks } from '../pprof/delta.js'
import { encodeStacks } from '../pprof/encode.js'
import { FrameTable, type StackSet } from '../pprof/frames.js'
import { heavyHolder, heapSamplerPaused, heavyRetryAfter } from '../profiler/process-guard.js'
import type { NamedProfile } from '../profiles.js'

export { NAMED_PROFILES, type NamedProfile } from '../profiles.js'

/** While an allocation window holds V8's sampler, the in-use view is not there to read. */
function assertHeapSamplerFree (reply: FastifyReply): void {
  if (!heapSamplerPaused()) return
  reply.header('retry-after', String(heavyRetryAfter()))
  throw new errors.FST_PPROF_BUSY(heavyHolder() ?? 'allocation profiling')
}

/** Serves one named profile: proto, Go text (debug), or `seconds` (Go's delta, or a recording window). */
export function registerNamedProfile (scope: FastifyInstance, ctx: PprofContext, path: string, profile: NamedProfile): void {
  if (GO_PROFILE_DESCRIPTIONS[profile.name] === undefined) throw new Error(`no description for ${profile.name}`)
  scope.get(path, { config: { audit: true } }, async (request, reply) => {
    const query = request.query as Record<string, string | string[] | undefined>
    // Go ignores gc on every profile but heap; we validate it there only.
    const gc = profile.name === 'heap' ? parseChoice(query, 'gc', [0, 1]) : 0
    const debug = parseChoice(query, 'debug', [0, 1, 2])
    const seconds = parseSeconds(query, undefined, ctx.options.maxProfileSeconds)
    if (seconds !== undefined && debug !== 0) throw new errors.FST_PPROF_INCOMPATIBLE_PARAMS()
    if (seconds !== undefined) checkDuration(request, seconds)
    const filename = seconds === undefined ? profile.name : `${profile.name}-delta`
    if (request.method === 'HEAD') {
      return debug !== 0 ? sendText(reply, '') : sendProfile(reply, filename)
    }

    const frames = new FrameTable()
    const shape = profile.shape(ctx)
    const collect = async (signal?: AbortSignal): Promise<{ stacks: StackSet, at: number }> => {
      const slicer = new Slicer(signal)
      if (profile.usesHeapSampler === true) {
        // V8's native read is the one long block of a heap profile: give it a
        // turn of the event loop of its own, not one shared with this
        // request's routing and hooks. The sampler is checked after the turn.
        await slicer.yield()
        assertHeapSamplerFree(reply)
      }
      if (gc === 1) ctx.collectGarbage()
      const at = Date.now()
      return { stacks: await profile.collect(ctx, frames, slicer), at }
    }
    const encode = async (stacks: StackSet, timeNanos: number, durationNanos: number | undefined, signal?: AbortSignal): Promise<Buffer> => {
      const comments = profile.comments?.(seconds !== undefined && profile.record !== undefined)
      const meta = { timeNanos, durationNanos, comments }
      return await encodeStacks(ctx.frameMapper, shape, frames, stacks.values(), meta, new Slicer(signal))
    }

    if (seconds === undefined) {
      const { stacks, at } = await collect()
      if (debug !== 0) {
        await ctx.frameMapper.map(frames, new Slicer())
        return sendText(reply, profile.text(ctx, frames, stacks))
      }
      return sendProfile(reply, filename, await encode(stacks, at * 1e6, undefined))
    }

    try {
      const body = await runHeavy(ctx, reply, `${profile.name} ${profile.record === undefined ? 'delta' : 'profiling'}`, seconds * 1000, async (signal) => {
        if (profile.record !== undefined) {
          const start = Date.now()
          const stacks = await profile.record(ctx, frames, async () => await wait(seconds * 1000, signal), new Slicer(signal))
          return await encode(stacks, start * 1e6, (Date.now() - start) * 1e6, signal)
        }
        const before = await collect(signal)
        await wait(seconds * 1000, signal)
        const after = await collect(signal)
        return await encode(deltaStacks(before.stacks, after.stacks), after.at * 1e6, (after.at - before.at) * 1e6, signal)
      })
      return sendProfile(reply, filename, body)
    } catch (err) {
      if (err instanceof Interrupted) return answerInterrupted(err, request, reply)
      throw err
    }
  })
}
