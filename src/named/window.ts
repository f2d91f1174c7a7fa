import type { FastifyReply } from 'fastify'
import { Slicer } from '../cooperative.js'
import { sendHeavyProfile, wait } from '../http/heavy.js'
import type { NamedProfile } from './catalog.js'
import { encodeNamed, type NamedRequest } from './request.js'

/** A profile recorded over the window, where `?seconds=N` means samples taken meanwhile (allocs). */
export async function serveWindow (req: NamedRequest, window: NonNullable<NamedProfile['window']>, seconds: number): Promise<FastifyReply | undefined> {
  const ms = seconds * 1000
  return await sendHeavyProfile(req.ctx, req.request, req.reply, `${req.profile.name} profiling`, ms, `${req.profile.name}-delta`, async (signal) => {
    const start = Date.now()
    const stacks = await window(req.ctx, req.frames, async () => await wait(ms, signal), new Slicer(signal))
    return await encodeNamed(req, stacks, { timeNanos: start * 1e6, durationNanos: (Date.now() - start) * 1e6 }, true, signal)
  })
}
