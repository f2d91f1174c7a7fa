import bindings from 'pprof/out/src/time-profiler-bindings.js'
import type { TimeProfile, TimeProfileNode } from 'pprof/out/src/v8-types.js'
import type { Slicer } from '../cooperative.js'
import { type FrameTable, StackSet } from '../pprof/frames.js'

/** A CPU profile as stacks of [samples, cpu nanoseconds]. */
export interface CpuStacks {
  readonly stacks: StackSet
  readonly startNanos: number
  readonly durationNanos: number
  readonly periodNanos: number
}

// V8 marks samples taken while the loop waited: that is not CPU time.
const IDLE = '(idle)'
const ROOT = '(root)'

interface NodeProcess {
  _startProfilerIdleNotifier?: () => void
  _stopProfilerIdleNotifier?: () => void
}

/** A running V8 CPU profile; stop() or discard() ends it exactly once. */
export interface CpuRecording {
  stop (frames: FrameTable, slicer: Slicer): Promise<CpuStacks>
  discard (): void
}

/**
 * Starts V8's CPU profiler on this thread with line-level attribution.
 * Node's undocumented idle notifier lets V8 tell idle waits from native work.
 * The caller holds the process guard's heavy lease.
 */
export function startCpuProfile (hz: number): CpuRecording {
  const intervalMicros = Math.max(1, Math.round(1e6 / hz))
  const title = `fastify-pprof-${process.hrtime.bigint()}`
  const proc = process as unknown as NodeProcess
  const startNanos = Date.now() * 1e6
  bindings.setSamplingInterval(intervalMicros)
  proc._startProfilerIdleNotifier?.()
  bindings.startProfiling(title, true)
  let ended = false
  const end = (): TimeProfile | undefined => {
    if (ended) return undefined
    ended = true
    try {
      return bindings.stopProfiling(title, true) as TimeProfile
    } finally {
      proc._stopProfilerIdleNotifier?.()
    }
  }
  return {
    discard () { end() },
    async stop (frames, slicer) {
      const result = end()
      if (result === undefined) throw new Error('CPU profile already ended')
      const periodNanos = intervalMicros * 1000
      const stacks = await foldTimeTree(result.topDownRoot, frames, periodNanos, slicer)
      // V8 reports start and end in microseconds.
      return { stacks, startNanos, durationNanos: Math.max(0, (result.endTime - result.startTime) * 1000), periodNanos }
    }
  }
}

interface PathEntry { node: TimeProfileNode, depth: number }

async function foldTimeTree (root: TimeProfileNode, frames: FrameTable, periodNanos: number, slicer: Slicer): Promise<StackSet> {
  const stacks = new StackSet()
  const path: number[] = []
  const pending: PathEntry[] = []
  const start = root.name === ROOT ? root.children : [root]
  for (const child of start) pending.push({ node: child as TimeProfileNode, depth: 0 })
  while (pending.length > 0) {
    const { node, depth } = pending.pop() as PathEntry
    if (node.name === IDLE) continue
    path.length = depth
    path.push(frames.id({
      name: node.name ?? '',
      file: node.scriptName,
      line: node.lineNumber ?? 0,
      column: node.columnNumber ?? 0,
      functionLine: 0
    }))
    if (node.hitCount > 0) stacks.add(path.slice().reverse(), [node.hitCount, node.hitCount * periodNanos])
    for (const child of node.children) pending.push({ node: child as TimeProfileNode, depth: depth + 1 })
    await slicer.tick()
  }
  return stacks
}
