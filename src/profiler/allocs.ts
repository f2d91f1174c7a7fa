import { Session } from 'node:inspector'
import pprof from 'pprof'
import type { Slicer } from '../cooperative.js'
import { type FrameTable, StackSet } from '../pprof/frames.js'
import { foldAllocationTree } from './heap.js'
import { postSync } from './inspector.js'
import { pauseHeapSampler } from './process-guard.js'

/**
 * Samples every allocation for the window, objects already collected
 * included. Node 20 has no native switch for that, but the inspector's
 * HeapProfiler.startSampling takes includeObjectsCollectedByMajorGC/MinorGC.
 * V8 has one sampling heap profiler: the in-use sampler is paused for the
 * window (its view starts over after), the inspector starts V8's sampler with
 * those flags, and the result is read natively (npm pprof's
 * getAllocationProfile), which keeps each allocation's real size and count
 * and, unlike the inspector's getSamplingProfile, forces no GC.
 * Values: [alloc_objects, alloc_space, 0, 0]: with collected objects among
 * the samples, V8 cannot say which are still alive.
 */
export async function sampleAllocations (
  frames: FrameTable,
  intervalBytes: number,
  during: () => Promise<void>,
  slicer: Slicer
): Promise<StackSet> {
  const resume = pauseHeapSampler()
  const session = new Session()
  let tree: ReturnType<typeof pprof.heap.v8Profile>
  try {
    session.connect()
    postSync(session, 'HeapProfiler.enable')
    postSync(session, 'HeapProfiler.startSampling', {
      samplingInterval: intervalBytes,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true
    })
    try {
      await during()
      // V8's sampler is running (started just above): safe to read natively.
      tree = pprof.heap.v8Profile()
    } finally {
      postSync(session, 'HeapProfiler.stopSampling')
    }
  } finally {
    session.disconnect()
    resume()
  }
  const allocated = await foldAllocationTree(tree, frames, slicer)
  const out = new StackSet()
  for (const r of allocated.values()) out.add(r.frameIds, [r.values[0] ?? 0, r.values[1] ?? 0, 0, 0])
  return out
}
