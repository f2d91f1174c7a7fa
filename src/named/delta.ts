import type { FastifyReply } from 'fastify'
import { sendHeavyProfile, wait } from '../http/heavy.js'
import { deltaStacks } from '../pprof/delta.js'
import { collectNow, encodeNamed, type NamedRequest } from './request.js'

/**
 * Go's `?seconds=N` for a named profile: read it, wait, read it again,
 * answer the difference. The wait holds the process's profiler lease.
 */
export async function serveDelta (req: NamedRequest, seconds: number): Promise<FastifyReply | undefined> {
  const ms = seconds * 1000
  return await sendHeavyProfile(req.ctx, req.request, req.reply, `${req.profile.name} delta`, ms, `${req.profile.name}-delta`, async (signal) => {
    const before = await collectNow(req, signal)
    await wait(ms, signal)
    const after = await collectNow(req, signal)
    const meta = { timeNanos: after.at * 1e6, durationNanos: (after.at - before.at) * 1e6 }
    return await encodeNamed(req, deltaStacks(before.stacks, after.stacks), meta, false, signal)
  })
}
