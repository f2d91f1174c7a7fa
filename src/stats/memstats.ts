import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8'
import { PAUSE_RING } from './gc.js'
import type { RuntimeSampler } from './sampler.js'

/**
 * Go's runtime.MemStats names where the meaning maps onto Node (sources in the
 * README). Fields Node cannot know (TotalAlloc, Mallocs, Frees, HeapObjects,
 * HeapReleased, Stack*, MSpan*, MCache*, BuckHashSys, GCSys, NextGC, ...)
 * are absent, not zero.
 */
export interface MemStats {
  /** V8 used heap: process.memoryUsage().heapUsed. */
  Alloc: number
  /** Resident set size: everything the process holds from the OS. */
  Sys: number
  HeapAlloc: number
  /** V8 total heap (committed): heapTotal. */
  HeapSys: number
  /** heapTotal - heapUsed. */
  HeapIdle: number
  /** V8 total_physical_size: heap pages actually resident. */
  HeapInuse: number
  /** Node only: V8's heap_size_limit, where an out-of-memory crash happens (not Go's NextGC). */
  HeapSizeLimit: number
  /** End of the last GC seen, ns since the epoch. */
  LastGC: number
  PauseTotalNs: number
  /** Last 256 pauses, a ring like Go's: the latest is at (NumGC+255)%256. */
  PauseNs: number[]
  PauseEnd: number[]
  NumGC: number
  NumForcedGC: number
  /** Main-thread GC pause time as a fraction of wall time since the plugin started. */
  GCCPUFraction: number
  EnableGC: boolean
  DebugGC: boolean
  /** Peak resident set size in bytes (getrusage). */
  MaxRSS: number
}

export interface StatsSnapshot {
  memstats: MemStats
  node: Record<string, unknown>
}

const GC_SINCE_START_MIN_MS = 1

export function readStats (sampler: RuntimeSampler): StatsSnapshot {
  const mem = process.memoryUsage()
  const heap = getHeapStatistics()
  const usage = process.resourceUsage()
  const gc = sampler.gc
  const elapsedNs = Math.max(GC_SINCE_START_MIN_MS, Date.now() - sampler.startedAt) * 1e6
  const memstats: MemStats = {
    Alloc: mem.heapUsed,
    Sys: mem.rss,
    HeapAlloc: mem.heapUsed,
    HeapSys: mem.heapTotal,
    HeapIdle: Math.max(0, mem.heapTotal - mem.heapUsed),
    HeapInuse: heap.total_physical_size,
    HeapSizeLimit: heap.heap_size_limit,
    LastGC: gc.lastGc,
    PauseTotalNs: gc.pauseTotalNs,
    PauseNs: Array.from(gc.pauseNs),
    PauseEnd: Array.from(gc.pauseEnd),
    NumGC: gc.numGc,
    NumForcedGC: gc.numForcedGc,
    GCCPUFraction: gc.pauseTotalNs / elapsedNs,
    EnableGC: true,
    DebugGC: false,
    MaxRSS: usage.maxRSS * 1024
  }
  const { costly, loop } = sampler
  const node = {
    memoryUsage: { rss: mem.rss, heapTotal: mem.heapTotal, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers },
    heap: {
      total_heap_size: heap.total_heap_size,
      used_heap_size: heap.used_heap_size,
      total_physical_size: heap.total_physical_size,
      total_available_size: heap.total_available_size,
      heap_size_limit: heap.heap_size_limit,
      malloced_memory: heap.malloced_memory,
      peak_malloced_memory: heap.peak_malloced_memory,
      external_memory: (heap as { external_memory?: number }).external_memory,
      number_of_native_contexts: heap.number_of_native_contexts,
      // Contexts that should have been collected: a classic leak sign.
      number_of_detached_contexts: heap.number_of_detached_contexts
    },
    heapSpaces: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, {
      size: s.space_size, used: s.space_used_size, available: s.space_available_size, physical: s.physical_space_size
    }])),
    gc: Object.fromEntries(Object.entries(gc.byKind).map(([kind, t]) => [kind, {
      count: t.count, totalPauseMs: t.totalPauseNs / 1e6, maxPauseMs: t.maxPauseNs / 1e6
    }])),
    eventLoop: {
      delayMs: { min: loop.minMs, mean: loop.meanMs, p50: loop.p50Ms, p90: loop.p90Ms, p99: loop.p99Ms, max: loop.maxMs },
      utilization: loop.utilization,
      intervalMs: loop.intervalMs
    },
    cpu: { userMicros: usage.userCPUTime, systemMicros: usage.systemCPUTime },
    uptimeSeconds: process.uptime(),
    openFds: costly.openFds,
    activeResources: { total: costly.activeResources, byType: costly.activeResourcesByType, sampledAt: costly.sampledAt },
    requestsInFlight: sampler.requestsInFlight
  }
  return { memstats, node }
}

/** One `# Name = value` line per field, the way Go's `# runtime.MemStats` block reads. */
export function statsText (value: Record<string, unknown>, prefix = ''): string[] {
  const lines: string[] = []
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue
    const name = prefix + key
    if (Array.isArray(v)) lines.push(`# ${name} = [${v.join(' ')}]`)
    else if (v !== null && typeof v === 'object') lines.push(...statsText(v as Record<string, unknown>, name + '.'))
    else lines.push(`# ${name} = ${String(v)}`)
  }
  return lines
}

export function memStatsBlock (stats: StatsSnapshot): string {
  return ['# runtime.MemStats', ...statsText(stats.memstats as unknown as Record<string, unknown>)].join('\n') + '\n'
}

export { PAUSE_RING }
