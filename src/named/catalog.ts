import type { Slicer } from '../cooperative.js'
import type { PprofContext } from '../context.js'
import type { ProfileShape } from '../pprof/builder.js'
import { type FrameTable, StackSet } from '../pprof/frames.js'
import { contentionText, countText, type HeapColumns, heapText } from '../pprof/legacy-text.js'
import { allocsShape, contentionShape, countShape, heapShape } from '../pprof/shapes.js'
import { sampleAllocations } from '../profiler/allocs.js'
import { collectHeapStacks, countHeapRecords } from '../profiler/heap.js'
import { memStatsBlock, readStats } from '../stats/memstats.js'

/** A profile Go serves by name through its index (runtime/pprof.Lookup). */
export interface NamedProfile {
  readonly name: string
  shape (ctx: PprofContext): ProfileShape
  /** The profile now. */
  collect (ctx: PprofContext, frames: FrameTable, slicer: Slicer): Promise<StackSet>
  /** Go's legacy text form (?debug=1 and 2). */
  text (ctx: PprofContext, frames: FrameTable, stacks: StackSet): string
  /** The count on Go's index page. */
  count (): number
  /**
   * What `?seconds=N` records, when it is not Go's delta of two collections:
   * samples taken during the window (`during` waits it out).
   */
  window? (ctx: PprofContext, frames: FrameTable, during: () => Promise<void>, slicer: Slicer): Promise<StackSet>
  /** Comments written into the profile, shown by go tool pprof. */
  comments? (windowed: boolean): string[]
  /** Reads V8's in-use heap sampler, which an allocation window holds meanwhile (409). */
  readonly readsHeapSampler?: true
  /** Takes `?gc=1` (Go ignores gc on every profile but heap). */
  readonly takesGc?: true
  /** Takes `?since=<Go duration>`: the growth since a leak watch capture. */
  readonly takesSince?: true
}

const remember = (ctx: PprofContext) => (address: number, name: string) => ctx.symbols.remember(address, name)

// Like Go, the text heap profile ends with the MemStats block.
function heapTextWithMemStats (ctx: PprofContext, frames: FrameTable, stacks: StackSet, columns?: HeapColumns): string {
  return heapText(frames, stacks, ctx.heapIntervalBytes, remember(ctx), columns) + '\n' + memStatsBlock(readStats(ctx.sampler))
}

const empty = async (): Promise<StackSet> => new StackSet()

function activeResources (frames: FrameTable): StackSet {
  const stacks = new StackSet()
  for (const type of process.getActiveResourcesInfo()) {
    stacks.add([frames.id({ name: type, file: '', line: 0, column: 0, functionLine: 0 })], [1])
  }
  return stacks
}

/** The in-use heap in allocs' four columns: Node keeps no cumulative allocation counts. */
async function inUseAsAllocs (frames: FrameTable, slicer: Slicer): Promise<StackSet> {
  const inUse = await collectHeapStacks(frames, slicer)
  const out = new StackSet()
  for (const r of inUse.values()) out.add(r.frameIds, [0, 0, r.values[0] ?? 0, r.values[1] ?? 0])
  return out
}

export const HEAP: NamedProfile = {
  name: 'heap',
  shape: (ctx) => heapShape(ctx.heapIntervalBytes),
  collect: async (_ctx, frames, slicer) => await collectHeapStacks(frames, slicer),
  text: (ctx, frames, stacks) => heapTextWithMemStats(ctx, frames, stacks),
  count: countHeapRecords,
  readsHeapSampler: true,
  takesGc: true,
  takesSince: true
}

export const ALLOCS: NamedProfile = {
  name: 'allocs',
  shape: (ctx) => allocsShape(ctx.heapIntervalBytes),
  collect: async (_ctx, frames, slicer) => await inUseAsAllocs(frames, slicer),
  text: (ctx, frames, stacks) => heapTextWithMemStats(ctx, frames, stacks, { inuse: [2, 3], alloc: [0, 1] }),
  count: countHeapRecords,
  window: async (ctx, frames, during, slicer) => await sampleAllocations(frames, ctx.heapIntervalBytes, during, slicer),
  comments: (windowed) => windowed
    ? ['alloc_*: every allocation sampled during the window, objects already collected included.',
        'inuse_* are zero in a window: with collected objects in the samples, V8 cannot tell which are still alive; use /heap.']
    : ['alloc_* are zero: V8 keeps no cumulative allocation counts; ask for ?seconds=N to sample allocations over a window.',
        'inuse_* are the in-use heap, as in /heap.'],
  readsHeapSampler: true
}

export const GOROUTINE: NamedProfile = {
  name: 'goroutine',
  shape: () => countShape('goroutine'),
  collect: async (_ctx, frames) => activeResources(frames),
  text: (ctx, frames, stacks) => countText('goroutine', frames, stacks, remember(ctx)),
  count: () => process.getActiveResourcesInfo().length
}

export const THREADCREATE: NamedProfile = {
  name: 'threadcreate',
  shape: () => countShape('threadcreate'),
  collect: empty,
  text: (ctx, frames, stacks) => countText('threadcreate', frames, stacks, remember(ctx)),
  count: () => 0
}

export const BLOCK: NamedProfile = { name: 'block', shape: contentionShape, collect: empty, text: () => contentionText('block'), count: () => 0 }
export const MUTEX: NamedProfile = { name: 'mutex', shape: contentionShape, collect: empty, text: () => contentionText('mutex'), count: () => 0 }
