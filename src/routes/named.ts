import type { FastifyInstance } from 'fastify'
import { Slicer } from '../cooperative.js'
import type { PprofContext } from '../context.js'
import { GO_PROFILE_DESCRIPTIONS } from '../endpoints.js'
import { errors } from '../errors.js'
import { Interrupted, answerInterrupted, runHeavy, wait } from '../http/heavy.js'
import { parseChoice, parseSeconds } from '../http/params.js'
import { checkDuration, sendProfile, sendText } from '../http/reply.js'
import { buildProfile, type ProfileShape } from '../pprof/builder.js'
import { deltaStacks } from '../pprof/delta.js'
import { encodeProfile } from '../pprof/encode.js'
import { FrameTable, StackSet } from '../pprof/frames.js'
import { contentionText, countText, heapText } from '../pprof/legacy-text.js'
import { allocsShape, contentionShape, countShape, heapShape } from '../pprof/shapes.js'
import { collectHeapStacks, countHeapRecords } from '../profiler/heap.js'
import { memStatsBlock, readStats } from '../stats/snapshot.js'

/** A profile Go serves by name through its index (runtime/pprof.Lookup). */
export interface NamedProfile {
  readonly name: string
  shape (ctx: PprofContext): ProfileShape
  collect (ctx: PprofContext, frames: FrameTable, slicer: Slicer): Promise<StackSet>
  text (ctx: PprofContext, frames: FrameTable, stacks: StackSet): string
  /** The count shown on Go's index page. */
  count (): number
}

// Like Go, the text heap profile ends with the MemStats block.
function heapTextWithMemStats (ctx: PprofContext, frames: FrameTable, stacks: StackSet): string {
  return heapText(frames, stacks, ctx.heapIntervalBytes, (a, n) => ctx.symbols.remember(a, n)) + '\n' + memStatsBlock(readStats(ctx.sampler))
}

const empty = async (): Promise<StackSet> => new StackSet()

function activeResources (frames: FrameTable): StackSet {
  const stacks = new StackSet()
  for (const type of process.getActiveResourcesInfo()) {
    stacks.add([frames.id({ name: type, file: '', line: 0, column: 0, functionLine: 0 })], [1])
  }
  return stacks
}

export const NAMED_PROFILES: readonly NamedProfile[] = [
  {
    name: 'heap',
    shape: (ctx) => heapShape(ctx.heapIntervalBytes),
    collect: async (_ctx, frames, slicer) => await collectHeapStacks(frames, slicer),
    text: heapTextWithMemStats,
    count: countHeapRecords
  },
  {
    name: 'allocs',
    shape: (ctx) => allocsShape(ctx.heapIntervalBytes),
    collect: empty,
    text: heapTextWithMemStats,
    count: () => 0
  },
  {
    name: 'goroutine',
    shape: () => countShape('goroutine'),
    collect: async (_ctx, frames) => activeResources(frames),
    text: (ctx, frames, stacks) => countText('goroutine', frames, stacks, (a, n) => ctx.symbols.remember(a, n)),
    count: () => process.getActiveResourcesInfo().length
  },
  {
    name: 'threadcreate',
    shape: () => countShape('threadcreate'),
    collect: empty,
    text: (ctx, frames, stacks) => countText('threadcreate', frames, stacks, (a, n) => ctx.symbols.remember(a, n)),
    count: () => 0
  },
  { name: 'block', shape: contentionShape, collect: empty, text: () => contentionText('block'), count: () => 0 },
  { name: 'mutex', shape: contentionShape, collect: empty, text: () => contentionText('mutex'), count: () => 0 }
]

/** Serves one named profile: proto, Go text (debug), or a delta over `seconds`. */
export function registerNamedProfile (scope: FastifyInstance, ctx: PprofContext, path: string, profile: NamedProfile): void {
  if (GO_PROFILE_DESCRIPTIONS[profile.name] === undefined) throw new Error(`no description for ${profile.name}`)
  scope.get(path, { config: { audit: true } }, async (request, reply) => {
    const query = request.query as Record<string, string | string[] | undefined>
    // Go ignores gc on every profile but heap; we validate it there only.
    const gc = profile.name === 'heap' ? parseChoice(query, 'gc', [0, 1]) : 0
    const debug = parseChoice(query, 'debug', [0, 1, 2])
    const seconds = parseSeconds(query, undefined, ctx.options.maxProfileSeconds)
    if (seconds !== undefined && debug !== 0) throw new errors.FST_PPROF_INCOMPATIBLE_PARAMS()
    if (seconds !== undefined) checkDuration(request, seconds)
    const filename = seconds === undefined ? profile.name : `${profile.name}-delta`
    if (request.method === 'HEAD') {
      return debug !== 0 ? sendText(reply, '') : sendProfile(reply, filename)
    }

    const frames = new FrameTable()
    const collect = async (signal?: AbortSignal): Promise<{ stacks: StackSet, at: number }> => {
      if (gc === 1) ctx.collectGarbage()
      const at = Date.now()
      const slicer = new Slicer(signal)
      const stacks = await profile.collect(ctx, frames, slicer)
      return { stacks, at }
    }

    if (seconds === undefined) {
      const { stacks, at } = await collect()
      await ctx.frameMapper.map(frames, new Slicer())
      if (debug !== 0) return sendText(reply, profile.text(ctx, frames, stacks))
      const built = await buildProfile(profile.shape(ctx), frames, stacks.values(), { timeNanos: at * 1e6 }, new Slicer())
      return sendProfile(reply, filename, await encodeProfile(built))
    }

    try {
      const body = await runHeavy(ctx, reply, `${profile.name} delta`, seconds * 1000, async (signal) => {
        const before = await collect(signal)
        await wait(seconds * 1000, signal)
        const after = await collect(signal)
        const delta = deltaStacks(before.stacks, after.stacks)
        await ctx.frameMapper.map(frames, new Slicer(signal))
        const meta = { timeNanos: after.at * 1e6, durationNanos: (after.at - before.at) * 1e6 }
        return await encodeProfile(await buildProfile(profile.shape(ctx), frames, delta.values(), meta, new Slicer(signal)))
      })
      return sendProfile(reply, filename, body)
    } catch (err) {
      if (err instanceof Interrupted) return answerInterrupted(err, request, reply)
      throw err
    }
  })
}
