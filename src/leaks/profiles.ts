import { Slicer } from '../cooperative.js'
import type { ProfileMeta } from '../pprof/builder.js'
import { deltaStacks } from '../pprof/delta.js'
import { encodeStacks } from '../pprof/encode.js'
import { type FrameMapper, FrameTable, type StackSet } from '../pprof/frames.js'
import { heapShape } from '../pprof/shapes.js'
import { formatDuration } from '../duration.js'
import { collectHeapStacks } from '../profiler/heap.js'
import type { Capture, CaptureRing } from './ring.js'

/** The in-use heap now and a ring capture, over one FrameTable of their own so their stacks compare. */
export interface Growth {
  readonly frames: FrameTable
  readonly stacks: StackSet
  readonly meta: ProfileMeta
}

/**
 * What grew from a ring capture to the heap now (Go's delta semantics: values
 * differenced, negatives kept), with the real window as the duration and in
 * the comments.
 */
export async function growthSince (ring: CaptureRing, base: Capture, slicer: Slicer, now?: { at: number, stacks: StackSet, frames: FrameTable }): Promise<Growth> {
  const frames = now?.frames ?? new FrameTable()
  const before = ring.toStacks(base, frames)
  const after = now?.stacks ?? await collectHeapStacks(frames, slicer)
  const at = now?.at ?? Date.now()
  const windowMs = at - base.at
  return {
    frames,
    stacks: deltaStacks(before, after),
    meta: {
      timeNanos: at * 1e6,
      durationNanos: windowMs * 1e6,
      comments: [
        `Heap growth over ${formatDuration(windowMs)}: from the leak watch's capture of ${new Date(base.at).toISOString()}${base.afterGc ? ' (taken after a major GC)' : ''} to ${new Date(at).toISOString()}.`,
        'Positive values grew, negative ones shrank (go tool pprof -top shows both).'
      ]
    }
  }
}

/** A gzipped heap profile of stacks, in /heap's shape. */
export async function encodeHeap (mapper: FrameMapper, intervalBytes: number, frames: FrameTable, stacks: StackSet, meta: ProfileMeta, slicer: Slicer): Promise<Buffer> {
  return await encodeStacks(mapper, heapShape(intervalBytes), frames, stacks.values(), meta, slicer)
}
