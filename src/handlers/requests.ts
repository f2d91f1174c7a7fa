import { parseChoice, type Query } from '../http/params.js'
import { sendText } from '../http/reply.js'
import type { MakeHandler } from './handler.js'

const JSON_TYPE = 'application/json; charset=utf-8'
/** Requests listed at most: the oldest are the interesting ones; `total` counts them all. */
export const LIST_LIMIT = 1000

/**
 * `/requests`: the app's requests in flight, oldest first, by route pattern
 * (never the URL, query, headers or body); ?debug=1 groups them by route and
 * stage with counts, as Go's goroutine?debug=1 groups identical stacks.
 */
export const requests: MakeHandler = (ctx) => async (request, reply) => {
  const debug = parseChoice(request.query as Query, 'debug', [0, 1])
  const tracker = ctx.sampler.requests
  if (tracker === undefined) return reply.callNotFound()
  const { slowMs, max } = tracker.options
  if (debug === 1) {
    const lines = [`requests in flight: total ${tracker.total}, tracked ${tracker.tracked} (at most ${max}), stuck (older than ${slowMs} ms) ${tracker.stuck()}`, '']
    for (const g of tracker.groups()) {
      const gone = g.disconnected === 0 ? '' : `, ${g.disconnected} client${g.disconnected === 1 ? '' : 's'} gone`
      lines.push(`${g.count} @ ${g.method} ${g.route ?? '(no route)'} [${g.stage}] oldest ${g.oldestMs} ms${gone}`)
    }
    return sendText(reply, lines.join('\n') + '\n')
  }
  const list = tracker.list(LIST_LIMIT)
  return reply.header('content-type', JSON_TYPE).send({
    total: tracker.total,
    tracked: tracker.tracked,
    listed: list.length,
    slowMs,
    stuck: tracker.stuck(),
    requests: list
  })
}
