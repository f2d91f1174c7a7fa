import type { FastifyReply } from 'fastify'
import { Slicer } from '../cooperative.js'
import { sendText } from '../http/reply.js'
import { collectNow, type NamedRequest } from './request.js'

/** Go's legacy text form (?debug=1 or 2), with frames mapped to their sources first. */
export async function serveText (req: NamedRequest): Promise<FastifyReply> {
  const { stacks } = await collectNow(req)
  await req.ctx.frameMapper.map(req.frames, new Slicer())
  return sendText(req.reply, req.profile.text(req.ctx, req.frames, stacks))
}
