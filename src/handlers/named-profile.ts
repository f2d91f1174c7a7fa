import { errors } from '../errors.js'
import { parseGoDuration } from '../duration.js'
import { checkWithinTimeout, parseChoice, parseSeconds, type Query } from '../http/params.js'
import { sendProfile, sendText } from '../http/reply.js'
import type { NamedProfile } from '../named/catalog.js'
import { serveDelta } from '../named/delta.js'
import { namedRequest } from '../named/request.js'
import { serveSince } from '../named/since.js'
import { serveSnapshot } from '../named/snapshot.js'
import { serveText } from '../named/text.js'
import { serveWindow } from '../named/window.js'
import type { MakeHandler } from './handler.js'

// A ring holds at most 10,000 captures of at most a day each; past a month nothing is that old.
const MAX_SINCE_MS = 31 * 86_400_000

/**
 * A named profile (/heap, /pprof/goroutine, ...): the parameters pick the
 * mode, as Go's handler does: ?debug= text, ?seconds= a delta (or a window
 * for allocs), ?since= the growth since a leak watch capture (heap), else
 * the profile now.
 */
export function namedProfile (profile: NamedProfile): MakeHandler {
  return (ctx) => async (request, reply) => {
    const query = request.query as Query
    const gc = profile.takesGc === true ? parseChoice(query, 'gc', [0, 1]) : 0
    const debug = parseChoice(query, 'debug', [0, 1, 2])
    const seconds = parseSeconds(query, undefined, ctx.options.maxProfileSeconds)
    const since = profile.takesSince === true && query.since !== undefined ? parseGoDuration('since', query.since, MAX_SINCE_MS) : undefined
    if (seconds !== undefined && debug !== 0) throw new errors.FST_PPROF_INCOMPATIBLE_PARAMS()
    if (since !== undefined && (seconds !== undefined || debug !== 0)) {
      throw new errors.FST_PPROF_INVALID_PARAM('since', 'cannot be combined with seconds or debug')
    }
    if (seconds !== undefined) checkWithinTimeout(request, seconds)
    if (request.method === 'HEAD') {
      return debug !== 0 ? sendText(reply, '') : sendProfile(reply, since !== undefined ? `${profile.name}-since` : seconds === undefined ? profile.name : `${profile.name}-delta`)
    }
    const req = namedRequest(ctx, profile, request, reply, gc === 1)
    if (debug !== 0) return await serveText(req)
    if (since !== undefined) return await serveSince(req, since)
    if (seconds === undefined) return await serveSnapshot(req)
    if (profile.window !== undefined) return await serveWindow(req, profile.window, seconds)
    return await serveDelta(req, seconds)
  }
}
