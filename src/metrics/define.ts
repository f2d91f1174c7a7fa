import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { StallWatch } from '../stalls/watch.js'
import type { GcStats } from '../stats/gc.js'
import { GC_HISTOGRAM, type MetricSpec, type Reading, STALL_METRICS } from './catalog.js'
import type { MetricSources } from './sources.js'

/** Replaces the metric's samples with this scrape's reading. */
function apply (metric: Gauge | Counter, reading: Reading, labelled: boolean): void {
  if (reading === undefined) {
    // reset() would leave a 0 sample for an unlabelled metric: "unknown" must be absent.
    metric.reset()
    if (!labelled) metric.remove()
    return
  }
  metric.reset()
  if (typeof reading === 'number') {
    if (metric instanceof Counter) metric.inc(reading)
    else metric.set(reading)
    return
  }
  for (const [labels, value] of reading) {
    if (metric instanceof Counter) metric.inc(labels, value)
    else metric.set(labels, value)
  }
}

/** A gauge or counter whose collect() copies its reading from the scrape's sources. */
export function defineMetric (registry: Registry, spec: MetricSpec, sources: MetricSources): void {
  const labelNames = [...(spec.labelNames ?? [])]
  const config = {
    name: spec.name,
    help: spec.help,
    labelNames,
    registers: [registry],
    collect (this: Gauge | Counter): void {
      apply(this, spec.read(sources.readings, sources.sampler), labelNames.length > 0)
    }
  }
  if (spec.type === 'counter') new Counter(config) // eslint-disable-line no-new
  else new Gauge(config) // eslint-disable-line no-new
}

/**
 * nodejs_gc_duration_seconds, fed by the instance's own GC observer (no
 * second PerformanceObserver); every kind starts at zero so rate() works
 * before the first major GC. GcStats.stop() drops the listener on close.
 */
export function defineGcHistogram (registry: Registry, gc: GcStats): void {
  const histogram = new Histogram({
    name: GC_HISTOGRAM.name,
    help: GC_HISTOGRAM.help,
    labelNames: [...GC_HISTOGRAM.labelNames],
    buckets: [...GC_HISTOGRAM.buckets],
    registers: [registry]
  })
  for (const kind of GC_HISTOGRAM.kinds) histogram.zero({ kind })
  gc.onGc((kind, pauseSeconds) => histogram.observe({ kind }, pauseSeconds))
}

/**
 * The stall counter (read from the watch at scrape time, evicted stalls
 * included) and the histogram of stall durations, fed as each stall is
 * recorded; StallWatch.stop() drops the listener on close.
 */
export function defineStallMetrics (registry: Registry, watch: StallWatch): void {
  // eslint-disable-next-line no-new
  new Counter({
    name: STALL_METRICS.counter,
    help: STALL_METRICS.counterHelp,
    registers: [registry],
    collect (this: Counter): void {
      this.reset()
      this.inc(watch.total)
    }
  })
  const histogram = new Histogram({
    name: STALL_METRICS.histogram,
    help: STALL_METRICS.histogramHelp,
    buckets: [...STALL_METRICS.buckets],
    registers: [registry]
  })
  watch.onStall((stall) => histogram.observe(stall.durationMs / 1000))
}
