import { errors } from '../errors.js'
import { checkWithinTimeout, parseChoice, parseSeconds, type Query } from '../http/params.js'
import { sendProfile, sendText } from '../http/reply.js'
import type { NamedProfile } from '../named/catalog.js'
import { serveDelta } from '../named/delta.js'
import { namedRequest } from '../named/request.js'
import { serveSnapshot } from '../named/snapshot.js'
import { serveText } from '../named/text.js'
import { serveWindow } from '../named/window.js'
import type { MakeHandler } from './handler.js'

/**
 * A named profile (/heap, /pprof/goroutine, ...): the parameters pick the
 * mode, as Go's handler does: ?debug= text, ?seconds= a delta (or a window
 * for allocs), else the profile now.
 */
export function namedProfile (profile: NamedProfile): MakeHandler {
  return (ctx) => async (request, reply) => {
    const query = request.query as Query
    const gc = profile.takesGc === true ? parseChoice(query, 'gc', [0, 1]) : 0
    const debug = parseChoice(query, 'debug', [0, 1, 2])
    const seconds = parseSeconds(query, undefined, ctx.options.maxProfileSeconds)
    if (seconds !== undefined && debug !== 0) throw new errors.FST_PPROF_INCOMPATIBLE_PARAMS()
    if (seconds !== undefined) checkWithinTimeout(request, seconds)
    if (request.method === 'HEAD') {
      return debug !== 0 ? sendText(reply, '') : sendProfile(reply, seconds === undefined ? profile.name : `${profile.name}-delta`)
    }
    const req = namedRequest(ctx, profile, request, reply, gc === 1)
    if (debug !== 0) return await serveText(req)
    if (seconds === undefined) return await serveSnapshot(req)
    if (profile.window !== undefined) return await serveWindow(req, profile.window, seconds)
    return await serveDelta(req, seconds)
  }
}
