import type { AllocationProfileNode } from 'pprof'
import type { Slicer } from '../cooperative.js'
import { type FrameTable, StackSet } from '../pprof/frames.js'
import { frameFile, functionName } from './names.js'
import { heapSamplerPaused, readHeapTree } from './process-guard.js'

/** Go's names: inuse_objects/count then inuse_space/bytes. */
export const HEAP_VALUES = 2

interface PathEntry { node: AllocationProfileNode, depth: number }

/**
 * Reads V8's sampling heap profile (the one native, synchronous step) and
 * folds the call tree into stacks of in-use objects and bytes, yielding to the
 * event loop between slices. V8 has already scaled each sample up to an
 * estimate of the real count, so values are used as they are.
 */
export async function collectHeapStacks (frames: FrameTable, slicer: Slicer): Promise<StackSet> {
  return await foldAllocationTree(readHeapTree(), frames, slicer)
}

/** Folds V8's allocation tree into stacks of [objects, bytes]. */
export async function foldAllocationTree (root: AllocationProfileNode, frames: FrameTable, slicer: Slicer): Promise<StackSet> {
  await slicer.yield()
  const stacks = new StackSet()
  // Frame ids root-first along the current path; depth-first with an explicit stack.
  const path: number[] = []
  const pending: PathEntry[] = []
  for (let i = root.children.length - 1; i >= 0; i--) pending.push({ node: root.children[i] as AllocationProfileNode, depth: 0 })
  while (pending.length > 0) {
    const { node, depth } = pending.pop() as PathEntry
    path.length = depth
    path.push(frames.id({
      name: functionName(node.name, node.scriptName, node.lineNumber ?? 0),
      file: frameFile(node.scriptName),
      line: node.lineNumber ?? 0,
      column: node.columnNumber ?? 0,
      functionLine: node.lineNumber ?? 0
    }))
    if (node.allocations.length > 0) {
      let objects = 0
      let space = 0
      for (const a of node.allocations) {
        objects += a.count
        space += a.count * a.sizeBytes
      }
      stacks.add(path.slice().reverse(), [objects, space])
    }
    const children = node.children as AllocationProfileNode[]
    for (let i = children.length - 1; i >= 0; i--) pending.push({ node: children[i] as AllocationProfileNode, depth: depth + 1 })
    await slicer.tick()
  }
  return stacks
}

/** Number of distinct allocation sites V8 holds now: the heap entry's count on the index page. */
export function countHeapRecords (): number {
  if (heapSamplerPaused()) return 0
  let count = 0
  const pending: AllocationProfileNode[] = [readHeapTree()]
  while (pending.length > 0) {
    const node = pending.pop() as AllocationProfileNode
    if (node.allocations.length > 0) count++
    for (const child of node.children) pending.push(child as AllocationProfileNode)
  }
  return count
}
