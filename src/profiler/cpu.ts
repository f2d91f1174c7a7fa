import { Session } from 'node:inspector'
import type { Profiler } from 'node:inspector'
import type { Slicer } from '../cooperative.js'
import { type Frame, type FrameTable, StackSet } from '../pprof/frames.js'
import { postSync } from './post-sync.js'
import { claimCpuProfiler } from './process-guard.js'
import { frameFileCache, functionName } from './names.js'

/** A CPU profile as stacks of [samples, cpu nanoseconds]. */
export interface CpuStacks {
  readonly stacks: StackSet
  readonly startNanos: number
  readonly durationNanos: number
  readonly periodNanos: number
}

/** A running V8 CPU profile; stop() or discard() ends it exactly once. */
export interface CpuRecording {
  stop (frames: FrameTable, slicer: Slicer): Promise<CpuStacks>
  discard (): void
}

// V8 marks samples taken while the loop waited: that is not CPU time.
const IDLE = '(idle)'
const ROOT = '(root)'

interface NodeProcess {
  _startProfilerIdleNotifier?: () => void
  _stopProfilerIdleNotifier?: () => void
}

/** The stall watchdog is profiling a stall on this thread: /profile answers 409. */
export class CpuProfilerBusy extends Error {
  constructor () {
    super('the stall watch is profiling a stall')
  }
}

/**
 * Starts V8's CPU profiler on this thread through an in-process inspector
 * session (no port is opened). Unlike npm pprof's line mode, the inspector
 * keeps each function's own position, so two anonymous arrow functions stay
 * two functions, and still gives the line of every sample.
 * Node's undocumented idle notifier lets V8 tell idle waits from native work.
 * The caller holds the process guard's heavy lease; this takes the CPU
 * profiler's cross-thread claim too (the stall watchdog's worker takes it
 * without the lease, which it cannot reach).
 */
export function startCpuProfile (hz: number): CpuRecording {
  const intervalMicros = Math.max(1, Math.round(1e6 / hz))
  const proc = process as unknown as NodeProcess
  const releaseClaim = claimCpuProfiler()
  if (releaseClaim === undefined) throw new CpuProfilerBusy()
  const session = new Session()
  session.connect()
  const startNanos = Date.now() * 1e6
  try {
    postSync(session, 'Profiler.enable')
    postSync(session, 'Profiler.setSamplingInterval', { interval: intervalMicros })
    proc._startProfilerIdleNotifier?.()
    postSync(session, 'Profiler.start')
  } catch (err) {
    proc._stopProfilerIdleNotifier?.()
    session.disconnect()
    releaseClaim()
    throw err
  }
  let ended = false
  const end = (): Profiler.Profile | undefined => {
    if (ended) return undefined
    ended = true
    try {
      return postSync<Profiler.StopReturnType>(session, 'Profiler.stop').profile
    } finally {
      proc._stopProfilerIdleNotifier?.()
      session.disconnect()
      releaseClaim()
    }
  }
  return {
    discard () { end() },
    async stop (frames, slicer) {
      const profile = end()
      if (profile === undefined) throw new Error('CPU profile already ended')
      const periodNanos = intervalMicros * 1000
      const stacks = await foldProfile(profile, frames, periodNanos, slicer)
      // The inspector reports start and end in microseconds.
      return { stacks, startNanos, durationNanos: Math.max(0, (profile.endTime - profile.startTime) * 1000), periodNanos }
    }
  }
}

function frameOf (node: Profiler.ProfileNode, line: number, fileOf: (url: string) => string): Frame {
  const { callFrame } = node
  // CDP positions are 0-based; pprof's are 1-based.
  const functionLine = callFrame.lineNumber + 1
  return {
    name: functionName(callFrame.functionName, callFrame.url, functionLine),
    file: fileOf(callFrame.url),
    line,
    column: line === functionLine ? callFrame.columnNumber + 1 : 0,
    functionLine
  }
}

/** A V8 CPU profile as pprof stacks; also the stall watch's, whose profiles come from its worker. */
export async function foldProfile (profile: Profiler.Profile, frames: FrameTable, periodNanos: number, slicer: Slicer): Promise<StackSet> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const stacks = new StackSet()
  const fileOf = frameFileCache()
  const root = profile.nodes[0]
  if (root === undefined) return stacks
  // Callers are attributed to the function's own line (CDP has no call-site
  // lines); the sampled function gets one frame per sampled line.
  const pending: Array<{ id: number, parent: readonly number[] }> = (root.callFrame.functionName === ROOT ? root.children ?? [] : [root.id]).map((id) => ({ id, parent: [] }))
  while (pending.length > 0) {
    if (slicer.due()) await slicer.yield()
    const { id, parent } = pending.pop() as { id: number, parent: readonly number[] }
    const node = byId.get(id)
    if (node === undefined || node.callFrame.functionName === IDLE) continue
    const self = node.hitCount ?? 0
    let rest = self
    for (const t of self > 0 ? node.positionTicks ?? [] : []) {
      rest -= t.ticks
      stacks.add([frames.id(frameOf(node, t.line, fileOf)), ...parent], [t.ticks, t.ticks * periodNanos])
    }
    const children = node.children ?? []
    if (rest <= 0 && children.length === 0) continue
    // The function's own frame (at its first line): self time with no line, and what callees see.
    const own = frames.id(frameOf(node, node.callFrame.lineNumber + 1, fileOf))
    if (rest > 0) stacks.add([own, ...parent], [rest, rest * periodNanos])
    const path = [own, ...parent]
    for (const child of children) pending.push({ id: child, parent: path })
  }
  return stacks
}
