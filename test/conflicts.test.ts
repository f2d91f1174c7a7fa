import { Session } from 'node:inspector'
import { describe, expect, it } from 'vitest'
import { build } from './support/app.js'
import { decodeProfile } from './support/decode.js'
import { postSync } from '../src/profiler/post-sync.js'

describe('another tool in the process uses V8\'s profilers', () => {
  it('survives DevTools-style allocation sampling that stops V8\'s heap sampler under npm pprof', async () => {
    const app = await build()
    try {
      expect((await app.inject('/debug/heap')).statusCode).toBe(200)
      // What DevTools' "Allocation sampling" does: start, then stop, V8's one sampler.
      const session = new Session()
      session.connect()
      postSync(session, 'HeapProfiler.enable')
      postSync(session, 'HeapProfiler.startSampling', { samplingInterval: 65536 })
      postSync(session, 'HeapProfiler.stopSampling')
      session.disconnect()
      // npm pprof alone would segfault here (pitfalls.md); the process must survive and answer.
      const res = await app.inject('/debug/heap')
      expect(res.statusCode).toBe(200)
      expect(decodeProfile(res.rawPayload).sampleTypes).toEqual(['inuse_objects/count', 'inuse_space/bytes'])
      expect((await app.inject('/debug/heap?debug=1')).statusCode).toBe(200)
      expect((await app.inject('/debug/pprof/')).statusCode).toBe(200)
    } finally {
      await app.close()
    }
  })

  it('coexists with another CPU profile running in the process (a separate V8 profile)', async () => {
    const app = await build()
    const session = new Session()
    session.connect()
    try {
      postSync(session, 'Profiler.enable')
      postSync(session, 'Profiler.start')
      const res = await app.inject('/debug/profile?seconds=1')
      expect(res.statusCode).toBe(200)
      let stopped = false
      session.post('Profiler.stop', (err, result) => { stopped = err === null && result.profile.nodes.length > 0 })
      expect(stopped).toBe(true)
    } finally {
      session.disconnect()
      await app.close()
    }
  })
})
