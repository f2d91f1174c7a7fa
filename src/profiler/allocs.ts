import { Session } from 'node:inspector'
import type { Slicer } from '../cooperative.js'
import { type FrameTable, StackSet } from '../pprof/frames.js'
import { foldAllocationTree } from './heap.js'
import { postSync } from './post-sync.js'
import type { AllocationNode } from './engines/index.js'
import { pauseHeapSampler, readWindowTree } from './process-guard.js'

/**
 * Samples every allocation for the window, objects already collected
 * included. Node 20 has no native switch for that, but the inspector's
 * HeapProfiler.startSampling takes includeObjectsCollectedByMajorGC/MinorGC.
 * V8 has one sampling heap profiler: the in-use sampler is paused for the
 * window (its view starts over after), the inspector starts V8's sampler with
 * those flags, and the result is read through the heap engine (natively where
 * an addon loads: each allocation's real size and count, no JSON).
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
  let tree: AllocationNode
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
      tree = readWindowTree()
    } finally {
      // Stops V8's sampler without building the profile stopSampling would return.
      postSync(session, 'HeapProfiler.disable')
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
