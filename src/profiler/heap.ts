import type { Slicer } from '../cooperative.js'
import { type Frame, type FrameTable, StackSet } from '../pprof/frames.js'
import { frameFileCache, functionName } from './names.js'
import type { AllocationNode } from './engines/index.js'
import { heapSamplerPaused, readHeapTree } from './process-guard.js'

/** Go's names: inuse_objects/count then inuse_space/bytes. */
export const HEAP_VALUES = 2

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
export async function foldAllocationTree (root: AllocationNode, frames: FrameTable, slicer: Slicer): Promise<StackSet> {
  await slicer.yield()
  const stacks = new StackSet()
  const fileOf = frameFileCache()
  const frameOf = (node: AllocationNode): Frame => {
    const line = node.lineNumber ?? 0
    return { name: functionName(node.name, node.scriptName, line), file: fileOf(node.scriptName), line, column: node.columnNumber ?? 0, functionLine: line }
  }
  // Depth-first with an explicit stack of nodes and depths (parallel arrays:
  // no object per node); frame ids root-first along the current path.
  const path: number[] = []
  const nodes: AllocationNode[] = []
  const depths: number[] = []
  for (let i = root.children.length - 1; i >= 0; i--) {
    nodes.push(root.children[i] as AllocationNode)
    depths.push(0)
  }
  while (nodes.length > 0) {
    const node = nodes.pop() as AllocationNode
    const depth = depths.pop() as number
    path.length = depth
    const line = node.lineNumber ?? 0
    const column = node.columnNumber ?? 0
    const script = node.scriptName
    // Builtins and natives have no position: they are keyed by name instead.
    path.push(line > 0
      ? frames.idAtPosition(script, line, column, frameOf, node)
      : frames.idOf(functionName(node.name, script, line), fileOf(script), line, column, line))
    const allocations = node.allocations
    if (allocations.length > 0) {
      let objects = 0
      let space = 0
      for (const a of allocations) {
        objects += a.count
        space += a.count * a.sizeBytes
      }
      const leafFirst = new Array<number>(path.length)
      for (let i = 0; i < path.length; i++) leafFirst[i] = path[path.length - 1 - i] as number
      stacks.add(leafFirst, [objects, space])
    }
    const children = node.children as AllocationNode[]
    for (let i = children.length - 1; i >= 0; i--) {
      nodes.push(children[i] as AllocationNode)
      depths.push(depth + 1)
    }
    if (slicer.due()) await slicer.yield()
  }
  return stacks
}

/** Number of distinct allocation sites V8 holds now: the heap entry's count on the index page. */
export function countHeapRecords (): number {
  if (heapSamplerPaused()) return 0
  let count = 0
  const pending: AllocationNode[] = [readHeapTree()]
  while (pending.length > 0) {
    const node = pending.pop() as AllocationNode
    if (node.allocations.length > 0) count++
    for (const child of node.children) pending.push(child as AllocationNode)
  }
  return count
}
