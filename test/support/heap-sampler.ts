import { Session } from 'node:inspector'
import { createRequire } from 'node:module'
import { postSync } from '../../src/profiler/post-sync.js'
import type { HeapEngineName } from '../../src/profiler/engines/index.js'

const require = createRequire(import.meta.url)

/**
 * Whether V8's sampling heap profiler runs, whoever started it: the
 * inspector answers "not started" instead of crashing as a native read would.
 */
export function samplerRunning (): boolean {
  const session = new Session()
  session.connect()
  try {
    postSync(session, 'HeapProfiler.getSamplingProfile')
    return true
  } catch {
    return false
  } finally {
    session.disconnect()
  }
}

/**
 * Starts V8's sampler the way an app using this engine's library would (its
 * own npm pprof, dd-trace's @datadog/pprof, DevTools through the inspector),
 * and returns how to stop it.
 */
export function startForeignSampler (engine: HeapEngineName, intervalBytes: number, stackDepth: number): () => void {
  if (engine === 'inspector') {
    const session = new Session()
    session.connect()
    postSync(session, 'HeapProfiler.enable')
    postSync(session, 'HeapProfiler.startSampling', { samplingInterval: intervalBytes, stackDepth })
    return () => session.disconnect()
  }
  const lib = require(engine) as { heap: { start (i: number, d: number): void, stop (): void } }
  lib.heap.start(intervalBytes, stackDepth)
  return () => lib.heap.stop()
}

/**
 * The interval V8's sampler really runs at, measured: the inspector reports
 * each sample's bytes after V8's scaling, which for an object much smaller
 * than the interval is about the interval itself (size × ~interval/size).
 * The median over a heap of small objects reads it to a few per cent.
 */
export function measuredIntervalBytes (): number {
  const session = new Session()
  session.connect()
  try {
    const { profile } = postSync<{ profile: { samples: Array<{ size: number }> } }>(session, 'HeapProfiler.getSamplingProfile')
    const sizes = profile.samples.map((s) => s.size).sort((a, b) => a - b)
    return sizes[sizes.length >> 1] ?? 0
  } finally {
    session.disconnect()
  }
}
