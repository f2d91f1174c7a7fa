import { Session } from 'node:inspector'
import { postSync } from '../post-sync.js'
import { fromSamplingProfile, type SamplingHeapProfile } from './sampling-profile.js'
import type { HeapEngine } from './types.js'

/**
 * V8's sampler through an in-process inspector session: no addon, so it runs
 * wherever Node does. Two costs the native engines do not have: the inspector
 * always starts V8's sampler with its force-GC flag, so every read runs a
 * full garbage collection first (about a second per GB of live heap), and the
 * profile crosses as JSON. The session stays connected while the sampler
 * runs: disconnecting it would stop V8's sampler.
 */
export function loadInspectorEngine (): HeapEngine {
  let session: Session | undefined
  const connected = (): Session => {
    if (session === undefined) {
      session = new Session()
      session.connect()
    }
    return session
  }
  const start = (interval: number, stackDepth: number): void => {
    const s = connected()
    postSync(s, 'HeapProfiler.enable')
    postSync(s, 'HeapProfiler.startSampling', { samplingInterval: interval, stackDepth })
  }
  // HeapProfiler.disable stops V8's sampler without building the profile that stopSampling returns.
  const halt = (): void => { if (session !== undefined) postSync(session, 'HeapProfiler.disable') }
  return {
    name: 'inspector',
    claim (interval, stackDepth) {
      // A sampler someone else started (DevTools, an agent) answers the probe: share it, never stop it.
      try {
        postSync(connected(), 'HeapProfiler.getSamplingProfile')
        return false
      } catch {
        start(interval, stackDepth)
        return true
      }
    },
    unclaim () {
      halt()
      session?.disconnect()
      session = undefined
    },
    ensureRunning: start,
    halt,
    restart (interval, stackDepth) {
      // Only stopSampling stops a sampler another session started (it returns, and so builds, its profile once).
      postSync(connected(), 'HeapProfiler.stopSampling')
      start(interval, stackDepth)
    },
    read (intervalBytes) {
      const { profile } = postSync<{ profile: SamplingHeapProfile }>(connected(), 'HeapProfiler.getSamplingProfile')
      return fromSamplingProfile(profile, intervalBytes)
    }
  }
}
