import type { FastifyReply, FastifyRequest } from 'fastify'
import { Slicer } from '../cooperative.js'
import type { PprofContext } from '../context.js'
import { errors } from '../errors.js'
import type { ProfileMeta } from '../pprof/builder.js'
import { encodeStacks } from '../pprof/encode.js'
import { FrameTable, type StackSet } from '../pprof/frames.js'
import { heavyHolder, heapSamplerPaused, heavyRetryAfter } from '../profiler/process-guard.js'
import type { NamedProfile } from './catalog.js'

/** One request for a named profile, as every mode sees it. */
export interface NamedRequest {
  readonly ctx: PprofContext
  readonly profile: NamedProfile
  readonly request: FastifyRequest
  readonly reply: FastifyReply
  /** `?gc=1`: a full collection before each reading. */
  readonly gc: boolean
  /** Frames of this request's profile, shared by both halves of a delta. */
  readonly frames: FrameTable
}

export function namedRequest (ctx: PprofContext, profile: NamedProfile, request: FastifyRequest, reply: FastifyReply, gc: boolean): NamedRequest {
  return { ctx, profile, request, reply, gc, frames: new FrameTable() }
}

/** The profile now, and when it was read. */
export async function collectNow (req: NamedRequest, signal?: AbortSignal): Promise<{ stacks: StackSet, at: number }> {
  const slicer = new Slicer(signal)
  if (req.profile.readsHeapSampler === true) {
    // V8's native read is the one long block of a heap profile: give it a
    // turn of the event loop of its own, not one shared with this request's
    // routing and hooks. The sampler is checked after the turn.
    await slicer.yield()
    if (heapSamplerPaused()) {
      req.reply.header('retry-after', String(heavyRetryAfter()))
      throw new errors.FST_PPROF_BUSY(heavyHolder() ?? 'allocation profiling')
    }
  }
  if (req.gc) req.ctx.collectGarbage()
  const at = Date.now()
  return { stacks: await req.profile.collect(req.ctx, req.frames, slicer), at }
}

/** The response body: gzipped profile.proto of these stacks, in the profile's shape. */
export async function encodeNamed (req: NamedRequest, stacks: StackSet, meta: Omit<ProfileMeta, 'comments'>, windowed: boolean, signal?: AbortSignal): Promise<Buffer> {
  const comments = req.profile.comments?.(windowed)
  return await encodeStacks(req.ctx.frameMapper, req.profile.shape(req.ctx), req.frames, stacks.values(), { ...meta, comments }, new Slicer(signal))
}
