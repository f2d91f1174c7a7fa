import type { AllocationNode } from './types.js'

// Node's heap objects are 8-byte aligned (no pointer compression in official builds).
const OBJECT_ALIGNMENT = 8
// The scan covers objects up to 8 KB past bytes - interval; larger ones are found from their count.
const MAX_SIZE_STEPS = 1024
const MAX_LARGE_COUNT = 16

/** HeapProfiler.SamplingHeapProfile as the inspector sends it (CDP 1.3). */
export interface SamplingHeapProfile {
  readonly head: SamplingNode
  readonly samples: ReadonlyArray<{ readonly size: number, readonly nodeId: number }>
}
interface SamplingNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string, readonly url: string, readonly lineNumber: number, readonly columnNumber: number }
  readonly children: readonly SamplingNode[]
}

/** V8's ScaleSample: how many objects one sampled object of `size` bytes stands for. */
export function scaledCount (size: number, intervalBytes: number): number {
  return Math.floor(1 / (1 - Math.exp(-size / intervalBytes)) + 0.5)
}

/**
 * The inspector reports a sample as its bytes after scaling (object size x
 * times V8's count), not the object size, so the count has to be found again.
 * Several sizes fit exactly (524304 bytes is 32769 objects of 16 bytes or 993
 * of 528), so among the sizes that do, this takes the one nearest (by ratio)
 * to 2 x (bytes - interval): for small objects bytes - interval is about
 * x/2 plus a rounding term spread evenly over ±x/2. Measured over every
 * aligned size up to 64 KB: counts within about 2x, unbiased to ~15%. The
 * bytes are always exact.
 */
export function splitSample (bytes: number, intervalBytes: number): { sizeBytes: number, count: number } {
  const target = Math.min(bytes, Math.max(OBJECT_ALIGNMENT, 2 * (bytes - intervalBytes)))
  let best = 0
  const consider = (x: number): void => {
    if (best === 0 || Math.abs(Math.log(x / target)) < Math.abs(Math.log(best / target))) best = x
  }
  const start = Math.max(OBJECT_ALIGNMENT, Math.floor((bytes - intervalBytes) / OBJECT_ALIGNMENT) * OBJECT_ALIGNMENT - OBJECT_ALIGNMENT)
  for (let x = start, i = 0; i < MAX_SIZE_STEPS && x <= bytes; x += OBJECT_ALIGNMENT, i++) {
    if (bytes % x === 0 && x * scaledCount(x, intervalBytes) === bytes) consider(x)
  }
  for (let n = 1; n <= MAX_LARGE_COUNT; n++) {
    const x = bytes / n
    if (Number.isInteger(x) && scaledCount(x, intervalBytes) === n) consider(x)
  }
  const sizeBytes = best === 0 ? target : best
  const count = Math.max(1, Math.round(bytes / sizeBytes))
  return { sizeBytes: bytes / count, count }
}

/** The inspector's HeapProfiler.SamplingHeapProfile as the native engines' tree. */
export function fromSamplingProfile (profile: SamplingHeapProfile, intervalBytes: number): AllocationNode {
  const allocations = new Map<number, Array<{ sizeBytes: number, count: number }>>()
  for (const sample of profile.samples) {
    let list = allocations.get(sample.nodeId)
    if (list === undefined) {
      list = []
      allocations.set(sample.nodeId, list)
    }
    list.push(splitSample(sample.size, intervalBytes))
  }
  const convert = (node: SamplingNode): AllocationNode => {
    const { callFrame } = node
    return {
      name: callFrame.functionName,
      scriptName: callFrame.url,
      // CDP positions are 0-based, V8's native ones 1-based (0: none).
      lineNumber: callFrame.lineNumber + 1,
      columnNumber: callFrame.columnNumber + 1,
      allocations: allocations.get(node.id) ?? [],
      children: node.children.map(convert)
    }
  }
  return convert(profile.head)
}
