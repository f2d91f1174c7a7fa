import type { RuntimeSampler } from '../stats/sampler.js'
import type { ScrapeReadings } from './sources.js'

export type Labels = Readonly<Record<string, string>>
/** One unlabelled value, labelled values, or undefined for "no sample" (unknown here). */
export type Reading = number | ReadonlyArray<readonly [Labels, number]> | undefined

export interface MetricSpec {
  readonly name: string
  readonly type: 'gauge' | 'counter'
  readonly help: string
  readonly labelNames?: readonly string[]
  /** Where the name comes from: prom-client's default metrics, or this plugin. */
  readonly origin: 'prom-client' | 'fastify-pprof'
  readonly read: (r: ScrapeReadings, sampler: RuntimeSampler) => Reading
}

/** The histogram, defined apart because it is fed by GC events, not read at scrape time. */
export const GC_HISTOGRAM = Object.freeze({
  name: 'nodejs_gc_duration_seconds',
  help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
  labelNames: ['kind'],
  kinds: ['major', 'minor', 'incremental', 'weakcb'],
  // prom-client's default gcDurationBuckets.
  buckets: [0.001, 0.01, 0.1, 1, 2, 5]
})

/** The stall catcher's series, fed by its own stalls (defined apart, as the GC histogram). */
export const STALL_METRICS = Object.freeze({
  counter: 'fastify_pprof_eventloop_stalls_total',
  counterHelp: 'Event-loop stalls the stall watch caught since the plugin registered: the loop did not turn for stallWatch.thresholdMs or more; see /stalls.',
  histogram: 'fastify_pprof_eventloop_stall_duration_seconds',
  histogramHelp: 'How long each event-loop stall blocked the loop, in seconds.',
  // From the smallest threshold allowed in practice (0.1 s) to a stall a health check would kill.
  buckets: [0.1, 0.2, 0.5, 1, 2, 5, 10, 30]
})

const PROCESS_START_SECONDS = Math.round(Date.now() / 1000 - process.uptime())
const [MAJOR = 0, MINOR = 0, PATCH = 0] = process.version.slice(1).split('.').map(Number)
const VERSION_LABELS: Labels = { version: process.version, major: String(MAJOR), minor: String(MINOR), patch: String(PATCH) }

const byLabel = (label: string, counts: Readonly<Record<string, number>>): Reading =>
  Object.entries(counts).map(([value, n]) => [{ [label]: value }, n] as const)

// prom-client labels 'new_space' as 'new', 'code_large_object_space' as 'code_large_object'.
const perSpace = (r: ScrapeReadings, field: 'space_size' | 'space_used_size' | 'space_available_size' | 'physical_space_size'): Reading =>
  r.spaces.map((s) => [{ space: s.space_name.replace(/_space$/, '') }, s[field]] as const)

const seconds = (ms: number): number => ms / 1000
const VERDICTS = ['growing', 'steady', 'warming-up'] as const

/**
 * Every series of GET {prefix}/metrics but the GC histogram, in prom-client's
 * order, with its names, types, help texts and labels (prom-client
 * lib/metrics/*.js, 15.1.3), then the series it lacks. Each documented in the
 * README's Metrics section.
 */
export const METRICS: readonly MetricSpec[] = [
  { name: 'process_cpu_user_seconds_total', type: 'counter', origin: 'prom-client', help: 'Total user CPU time spent in seconds.', read: (r) => r.cpu.user / 1e6 },
  { name: 'process_cpu_system_seconds_total', type: 'counter', origin: 'prom-client', help: 'Total system CPU time spent in seconds.', read: (r) => r.cpu.system / 1e6 },
  { name: 'process_cpu_seconds_total', type: 'counter', origin: 'prom-client', help: 'Total user and system CPU time spent in seconds.', read: (r) => (r.cpu.user + r.cpu.system) / 1e6 },
  { name: 'process_start_time_seconds', type: 'gauge', origin: 'prom-client', help: 'Start time of the process since unix epoch in seconds.', read: () => PROCESS_START_SECONDS },
  { name: 'process_resident_memory_bytes', type: 'gauge', origin: 'prom-client', help: 'Resident memory size in bytes.', read: (r) => r.memory.rss },
  { name: 'process_virtual_memory_bytes', type: 'gauge', origin: 'prom-client', help: 'Virtual memory size in bytes.', read: (r) => r.proc.virtualBytes },
  { name: 'process_heap_bytes', type: 'gauge', origin: 'prom-client', help: 'Process heap size in bytes.', read: (r) => r.proc.dataBytes },
  { name: 'process_open_fds', type: 'gauge', origin: 'prom-client', help: 'Number of open file descriptors.', read: (_r, s) => s.costly.openFds },
  { name: 'process_max_fds', type: 'gauge', origin: 'prom-client', help: 'Maximum number of open file descriptors.', read: (r) => r.proc.maxFds },
  { name: 'nodejs_eventloop_lag_seconds', type: 'gauge', origin: 'prom-client', help: 'Lag of event loop in seconds.', read: (r) => r.lagSeconds },
  { name: 'nodejs_eventloop_lag_min_seconds', type: 'gauge', origin: 'prom-client', help: 'The minimum recorded event loop delay.', read: (_r, s) => seconds(s.loop.minMs) },
  { name: 'nodejs_eventloop_lag_max_seconds', type: 'gauge', origin: 'prom-client', help: 'The maximum recorded event loop delay.', read: (_r, s) => seconds(s.loop.maxMs) },
  { name: 'nodejs_eventloop_lag_mean_seconds', type: 'gauge', origin: 'prom-client', help: 'The mean of the recorded event loop delays.', read: (_r, s) => seconds(s.loop.meanMs) },
  { name: 'nodejs_eventloop_lag_stddev_seconds', type: 'gauge', origin: 'prom-client', help: 'The standard deviation of the recorded event loop delays.', read: (_r, s) => seconds(s.loop.stddevMs) },
  { name: 'nodejs_eventloop_lag_p50_seconds', type: 'gauge', origin: 'prom-client', help: 'The 50th percentile of the recorded event loop delays.', read: (_r, s) => seconds(s.loop.p50Ms) },
  { name: 'nodejs_eventloop_lag_p90_seconds', type: 'gauge', origin: 'prom-client', help: 'The 90th percentile of the recorded event loop delays.', read: (_r, s) => seconds(s.loop.p90Ms) },
  { name: 'nodejs_eventloop_lag_p99_seconds', type: 'gauge', origin: 'prom-client', help: 'The 99th percentile of the recorded event loop delays.', read: (_r, s) => seconds(s.loop.p99Ms) },
  { name: 'nodejs_active_resources', type: 'gauge', origin: 'prom-client', labelNames: ['type'], help: 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.', read: (_r, s) => byLabel('type', s.costly.activeResourcesByType) },
  { name: 'nodejs_active_resources_total', type: 'gauge', origin: 'prom-client', help: 'Total number of active resources.', read: (_r, s) => s.costly.activeResources },
  { name: 'nodejs_active_handles', type: 'gauge', origin: 'prom-client', labelNames: ['type'], help: 'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.', read: (r) => byLabel('type', r.handles.handles) },
  { name: 'nodejs_active_handles_total', type: 'gauge', origin: 'prom-client', help: 'Total number of active handles.', read: (r) => r.handles.handlesTotal },
  { name: 'nodejs_active_requests', type: 'gauge', origin: 'prom-client', labelNames: ['type'], help: 'Number of active libuv requests grouped by request type. Every request type is C++ class name.', read: (r) => byLabel('type', r.handles.requests) },
  { name: 'nodejs_active_requests_total', type: 'gauge', origin: 'prom-client', help: 'Total number of active requests.', read: (r) => r.handles.requestsTotal },
  { name: 'nodejs_heap_size_total_bytes', type: 'gauge', origin: 'prom-client', help: 'Process heap size from Node.js in bytes.', read: (r) => r.memory.heapTotal },
  { name: 'nodejs_heap_size_used_bytes', type: 'gauge', origin: 'prom-client', help: 'Process heap size used from Node.js in bytes.', read: (r) => r.memory.heapUsed },
  { name: 'nodejs_external_memory_bytes', type: 'gauge', origin: 'prom-client', help: 'Node.js external memory size in bytes.', read: (r) => r.memory.external },
  { name: 'nodejs_heap_space_size_total_bytes', type: 'gauge', origin: 'prom-client', labelNames: ['space'], help: 'Process heap space size total from Node.js in bytes.', read: (r) => perSpace(r, 'space_size') },
  { name: 'nodejs_heap_space_size_used_bytes', type: 'gauge', origin: 'prom-client', labelNames: ['space'], help: 'Process heap space size used from Node.js in bytes.', read: (r) => perSpace(r, 'space_used_size') },
  { name: 'nodejs_heap_space_size_available_bytes', type: 'gauge', origin: 'prom-client', labelNames: ['space'], help: 'Process heap space size available from Node.js in bytes.', read: (r) => perSpace(r, 'space_available_size') },
  { name: 'nodejs_version_info', type: 'gauge', origin: 'prom-client', labelNames: ['version', 'major', 'minor', 'patch'], help: 'Node.js version info.', read: () => [[VERSION_LABELS, 1]] },

  { name: 'nodejs_heap_space_size_physical_bytes', type: 'gauge', origin: 'fastify-pprof', labelNames: ['space'], help: 'Process heap space size physical (resident) from Node.js in bytes.', read: (r) => perSpace(r, 'physical_space_size') },
  { name: 'nodejs_heap_size_limit_bytes', type: 'gauge', origin: 'fastify-pprof', help: 'V8 heap size limit in bytes: the heap cannot grow past it (out of memory).', read: (r) => r.heap.heap_size_limit },
  { name: 'nodejs_native_contexts', type: 'gauge', origin: 'fastify-pprof', help: 'Number of V8 native contexts alive (the main context, vm contexts, realms).', read: (r) => r.heap.number_of_native_contexts },
  { name: 'nodejs_detached_contexts', type: 'gauge', origin: 'fastify-pprof', help: 'Number of V8 contexts detached but not yet garbage collected; a steady rise is a leak.', read: (r) => r.heap.number_of_detached_contexts },
  { name: 'nodejs_eventloop_utilization_ratio', type: 'gauge', origin: 'fastify-pprof', help: 'Fraction of the last sampling interval the event loop was busy, 0 to 1.', read: (_r, s) => s.loop.utilization },
  { name: 'fastify_pprof_heap_engine_info', type: 'gauge', origin: 'fastify-pprof', labelNames: ['engine'], help: 'The engine heap profiles are read through: pprof (fast, built at install), @datadog/pprof (prebuilt) or inspector (no addon; a full GC per profile). Always 1.', read: (r) => [[{ engine: r.heapEngine }, 1]] },
  { name: 'fastify_pprof_leak_verdict', type: 'gauge', origin: 'fastify-pprof', labelNames: ['verdict'], help: 'The leak watch\'s verdict: 1 on the current one of growing, steady and warming-up, 0 on the others.', read: (r) => r.leaks === undefined ? undefined : VERDICTS.map((v) => [{ verdict: v }, r.leaks?.verdict === v ? 1 : 0] as const) },
  { name: 'fastify_pprof_heap_post_gc_slope_bytes_per_hour', type: 'gauge', origin: 'fastify-pprof', help: 'Trend (Theil-Sen) of the used heap right after major GCs over the leak watch\'s captures, in bytes per hour.', read: (r) => r.leaks?.heap.postGcSlopeBytesPerHour },
  { name: 'fastify_pprof_leak_suspect_growth_bytes', type: 'gauge', origin: 'fastify-pprof', labelNames: ['rank', 'function', 'file', 'line'], help: 'Growth over the leak watch\'s window of its top 5 suspects, the allocation sites whose retained bytes keep rising (rank 1 is the most certain).', read: (r) => r.leaks?.suspects.slice(0, 5).map((s, i) => [{ rank: String(i + 1), function: s.function, file: s.file, line: String(s.line) }, s.growthBytes] as const) ?? undefined },
  { name: 'fastify_pprof_leak_holder_entries', type: 'gauge', origin: 'fastify-pprof', labelNames: ['rank', 'kind', 'path'], help: 'Entries now in the leak watch\'s top 5 holders, the collections (Map, Set, Array, listeners, Object) whose size keeps rising across censuses (rank 1 is the most certain).', read: (r) => r.leaks?.holders.slice(0, 5).map((h, i) => [{ rank: String(i + 1), kind: h.kind, path: h.path }, h.entries] as const) ?? undefined },
  { name: 'fastify_requests_in_flight', type: 'gauge', origin: 'fastify-pprof', help: 'HTTP requests this Fastify server is handling now (inject() not counted).', read: (_r, s) => s.requestsInFlight },
  { name: 'fastify_requests_stuck', type: 'gauge', origin: 'fastify-pprof', help: 'Requests of this Fastify server in flight for longer than requests.slowMs, a client that left included (the plugin\'s own routes excluded); see /requests.', read: (_r, s) => s.requests?.stuck() }
]
