import type { FastifyReply } from 'fastify'
import { sendProfile } from '../http/reply.js'
import { collectNow, encodeNamed, type NamedRequest } from './request.js'

/** The profile now, as profile.proto: Go's default answer. */
export async function serveSnapshot (req: NamedRequest): Promise<FastifyReply> {
  const { stacks, at } = await collectNow(req)
  return sendProfile(req.reply, req.profile.name, await encodeNamed(req, stacks, { timeNanos: at * 1e6 }, false))
}
