import type { FastifyReply } from 'fastify'
import { Slicer } from '../cooperative.js'
import { errors } from '../errors.js'
import { sendProfile } from '../http/reply.js'
import { encodeStacks } from '../pprof/encode.js'
import { growthSince } from '../leaks/profiles.js'
import { collectNow, type NamedRequest } from './request.js'

/**
 * `/heap?since=2h`: what grew since the leak watch's capture nearest to
 * now - since, as a delta profile whose duration is the real window.
 */
export async function serveSince (req: NamedRequest, sinceMs: number): Promise<FastifyReply> {
  const watch = req.ctx.leakWatch
  if (watch === undefined) throw new errors.FST_PPROF_INVALID_PARAM('since', 'needs the leak watch, which is off (leakWatch: false)')
  const base = watch.ring.nearest(Date.now() - sinceMs)
  if (base === undefined) {
    const wait = Math.max(1, Math.ceil((watch.nextCaptureAt - Date.now()) / 1000))
    req.reply.header('retry-after', String(wait))
    throw new errors.FST_PPROF_NO_CAPTURE(wait)
  }
  const now = await collectNow(req)
  const slicer = new Slicer()
  const growth = await growthSince(watch.ring, base, slicer, { at: now.at, stacks: now.stacks, frames: req.frames })
  const body = await encodeStacks(req.ctx.frameMapper, req.profile.shape(req.ctx), req.frames, growth.stacks.values(), growth.meta, slicer)
  return sendProfile(req.reply, `${req.profile.name}-since`, body)
}
