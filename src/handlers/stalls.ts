import { Slicer } from '../cooperative.js'
import { errors } from '../errors.js'
import { parseChoice, type Query } from '../http/params.js'
import { sendProfile, sendText } from '../http/reply.js'
import { encodeStacks } from '../pprof/encode.js'
import { FrameTable } from '../pprof/frames.js'
import { cpuShape } from '../pprof/shapes.js'
import { foldProfile } from '../profiler/cpu.js'
import { gcMsOf, STALL_SAMPLING_MICROS, type Stall, stallProfileOf } from '../stalls/watch.js'
import type { MakeHandler } from './handler.js'

const JSON_TYPE = 'application/json; charset=utf-8'
const ID = /^[1-9][0-9]{0,9}$/

/** A stall as /stalls lists it: the issue's names, and the path of its profile once there is one. */
function view (stall: Stall, prefix: string): Record<string, unknown> {
  return {
    at: stall.at,
    durationMs: stall.durationMs,
    top: stall.top,
    route: stall.route,
    gcMs: Math.round(gcMsOf(stall)),
    profile: stall.state === 'profiled' ? `${prefix}/stalls/${stall.id}` : null,
    // Why profile is null: still coming, or never.
    reason: stall.state === 'pending' ? 'profile pending' : stall.reason
  }
}

function text (stall: Stall, prefix: string): string {
  const head = `${new Date(stall.at).toISOString()}  blocked ${stall.durationMs} ms  route ${stall.route ?? '(none)'}  gc ${Math.round(gcMsOf(stall))} ms`
  const profile = stall.state === 'profiled' ? `  profile ${prefix}/stalls/${stall.id}` : `  no profile: ${stall.state === 'pending' ? 'pending' : stall.reason ?? ''}`
  const frames = stall.top.map((f) => `    ${f.function}  ${f.file}${f.line > 0 ? `:${f.line}` : ''}`)
  return [head + profile, ...frames].join('\n')
}

/**
 * `/stalls`: the event-loop stalls the watchdog caught, newest first, with
 * their top frames, route and GC share; ?debug=1 gives text.
 */
export const stalls: MakeHandler = (ctx) => async (request, reply) => {
  const debug = parseChoice(request.query as Query, 'debug', [0, 1])
  const watch = ctx.stalls
  if (watch === undefined) return reply.callNotFound()
  const prefix = ctx.options.prefix
  const list = watch.list()
  const { thresholdMs, keep } = watch.settings
  if (debug === 1) {
    const error = watch.watchdogError === null ? '' : `; the watchdog failed (${watch.watchdogError}): stalls have no profiles`
    const lines = [`event-loop stalls of ${thresholdMs} ms or more: ${watch.total} seen, ${list.length} kept (at most ${keep})${error}`, '']
    for (const stall of list) lines.push(text(stall, prefix), '')
    return sendText(reply, lines.join('\n'))
  }
  return reply.header('content-type', JSON_TYPE).send({
    thresholdMs,
    keep,
    total: watch.total,
    watchdogError: watch.watchdogError,
    stalls: list.map((s) => view(s, prefix))
  })
}

/** `/stalls/<n>`: one stall's CPU profile, gzipped profile.proto, as /profile's. */
export const stallProfile: MakeHandler = (ctx) => async (request, reply) => {
  const raw = (request.params as { id: string }).id
  const stall = ID.test(raw) ? ctx.stalls?.get(Number(raw)) : undefined
  const bytes = stall?.profile
  if (stall === undefined || bytes === null || bytes === undefined) throw new errors.FST_PPROF_UNKNOWN_PROFILE()
  if (request.method === 'HEAD') return sendProfile(reply, `stall-${stall.id}`)
  const profile = stallProfileOf(bytes)
  const frames = new FrameTable()
  const slicer = new Slicer(ctx.shutdownSignal)
  const periodNanos = STALL_SAMPLING_MICROS * 1000
  const stacks = await foldProfile(profile, frames, periodNanos, slicer)
  const meta = {
    timeNanos: stall.at * 1e6,
    // The inspector reports start and end in microseconds.
    durationNanos: Math.max(0, (profile.endTime - profile.startTime) * 1000),
    comments: [`event-loop stall of ${stall.durationMs} ms`, `route: ${stall.route ?? '(none)'}`]
  }
  const body = await encodeStacks(ctx.frameMapper, cpuShape(periodNanos), frames, stacks.values(), meta, slicer)
  return sendProfile(reply, `stall-${stall.id}`, body)
}
