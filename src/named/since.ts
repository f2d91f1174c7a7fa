import type { FastifyReply } from 'fastify'
import { Slicer } from '../cooperative.js'
import { errors } from '../errors.js'
import { sendProfile } from '../http/reply.js'
import { encodeStacks } from '../pprof/encode.js'
import { robustGrowthSince } from '../leaks/growth.js'
import { growthSince } from '../leaks/profiles.js'
import { collectNow, type NamedRequest } from './request.js'

/**
 * `/heap?since=2h`: what grew since now - since, as a delta profile whose
 * duration is the real window. From the leak watch's post-GC captures around
 * that time to the newest ones, per-stack medians with each site weighted by
 * its trend, so that a churning cache's floating garbage cannot top it
 * (src/leaks/growth.ts says why); the heap now joins the newest end when it is
 * read after a GC too (`?gc=1`, or the inspector engine). With too few post-GC
 * captures for two ends: the two-point difference from the capture nearest
 * that time to the heap now, as before, and its comments say so.
 */
export async function serveSince (req: NamedRequest, sinceMs: number): Promise<FastifyReply> {
  const watch = req.ctx.leakWatch
  if (watch === undefined) throw new errors.FST_PPROF_INVALID_PARAM('since', 'needs the leak watch, which is off (leakWatch: false)')
  const sinceAt = Date.now() - sinceMs
  const base = watch.ring.nearest(sinceAt)
  if (base === undefined) {
    const wait = Math.max(1, Math.ceil((watch.nextCaptureAt - Date.now()) / 1000))
    req.reply.header('retry-after', String(wait))
    throw new errors.FST_PPROF_NO_CAPTURE(wait)
  }
  const slicer = new Slicer()
  const nowAfterGc = req.gc || req.ctx.heapEngine.engine.name === 'inspector'
  // The heap now is read only where it is used: as a post-GC end, or for the two-point fallback.
  let now = nowAfterGc ? await collectNow(req) : undefined
  let growth = robustGrowthSince(watch.ring, sinceAt, req.frames, now === undefined ? undefined : { ...now, afterGc: true })
  if (growth === undefined) {
    now ??= await collectNow(req)
    const twoPoint = await growthSince(watch.ring, base, slicer, { at: now.at, stacks: now.stacks, frames: req.frames })
    const post = watch.ring.captures.filter((c) => c.afterGc && c.at >= base.at).length
    growth = { ...twoPoint, meta: { ...twoPoint.meta, comments: [...(twoPoint.meta.comments ?? []), `A two-point difference: ${post} capture${post === 1 ? '' : 's'} taken right after a major GC from then on, too few for the robust method (medians of post-GC captures at each end, weighted by each site's trend), so a churning cache's garbage may show here. Ask again after more captures, or over a longer window.`] } }
  }
  const body = await encodeStacks(req.ctx.frameMapper, req.profile.shape(req.ctx), req.frames, growth.stacks.values(), growth.meta, slicer)
  return sendProfile(req.reply, `${req.profile.name}-since`, body)
}
