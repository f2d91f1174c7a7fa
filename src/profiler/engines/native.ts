import { createRequire } from 'node:module'
import type { AllocationNode, HeapEngine } from './types.js'

interface HeapLibrary {
  heap: { start (intervalBytes: number, stackDepth: number): void, stop (): void }
}
interface HeapBindings {
  startSamplingHeapProfiler (intervalBytes: number, stackDepth: number): void
  stopSamplingHeapProfiler (): void
  getAllocationProfile (): AllocationNode
}

const require = createRequire(import.meta.url)

/**
 * npm pprof or @datadog/pprof: the same native addon lineage, the same heap
 * API. The library's start/stop keep its own "started" flag (so a sampler the
 * app started through it is detected and left alone); the bindings reach V8
 * directly for everything the plugin does behind that flag. Throws when the
 * package or its addon will not load (not installed, never built, built for
 * another Node ABI).
 */
export function loadNativeEngine (name: 'pprof' | '@datadog/pprof'): HeapEngine {
  const lib = require(name) as HeapLibrary
  const bindings = require(`${name}/out/src/heap-profiler-bindings.js`) as HeapBindings
  return {
    name,
    claim (intervalBytes, stackDepth) {
      try {
        lib.heap.start(intervalBytes, stackDepth)
        return true
      } catch {
        return false
      }
    },
    unclaim: () => lib.heap.stop(),
    ensureRunning: (intervalBytes, stackDepth) => bindings.startSamplingHeapProfiler(intervalBytes, stackDepth),
    halt: () => bindings.stopSamplingHeapProfiler(),
    restart (intervalBytes, stackDepth) {
      bindings.stopSamplingHeapProfiler()
      bindings.startSamplingHeapProfiler(intervalBytes, stackDepth)
    },
    read: () => bindings.getAllocationProfile()
  }
}
