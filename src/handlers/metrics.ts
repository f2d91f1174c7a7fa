import { createMetrics } from '../metrics/index.js'
import type { MakeHandler } from './handler.js'

/** `/metrics` in the Prometheus text format (0.0.4), from this registration's own registry. */
export const metrics: MakeHandler = (ctx) => {
  const instance = createMetrics(ctx)
  return async (_request, reply) => {
    const body = await instance.scrape()
    return reply.header('content-type', instance.registry.contentType).send(body)
  }
}
