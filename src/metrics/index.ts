import { Registry } from 'prom-client'
import type { PprofContext } from '../context.js'
import { METRICS } from './catalog.js'
import { defineGcHistogram, defineMetric, defineStallMetrics } from './define.js'
import { MetricSources } from './sources.js'

export interface PprofMetrics {
  /** This instance's own registry: never prom-client's global one. */
  readonly registry: Registry
  /** Reads the runtime once, then renders every series in the text format. */
  scrape: () => Promise<string>
}

/**
 * prom-client's default metric names, without collectDefaultMetrics(): that
 * starts an event-loop delay histogram and a GC observer per call and never
 * stops them. Here every series reads the instance's sampler or a reading
 * taken at scrape time, so closing the instance leaves nothing running.
 */
export function createMetrics (ctx: PprofContext): PprofMetrics {
  const registry = new Registry()
  const sources = new MetricSources(ctx.sampler, ctx.options.costlyStatsIntervalMs, ctx.heapEngine.engine.name, () => ctx.leakReport())
  for (const spec of METRICS.filter((m) => m.origin === 'prom-client')) defineMetric(registry, spec, sources)
  defineGcHistogram(registry, ctx.sampler.gc)
  for (const spec of METRICS.filter((m) => m.origin !== 'prom-client')) defineMetric(registry, spec, sources)
  if (ctx.stalls !== undefined) defineStallMetrics(registry, ctx.stalls)
  return {
    registry,
    scrape: async () => {
      await sources.refresh()
      return await registry.metrics()
    }
  }
}
