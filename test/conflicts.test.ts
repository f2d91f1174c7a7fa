import { Session } from 'node:inspector'
import { describe, expect, it } from 'vitest'
import { build } from './support/app.js'
import { whileBurning } from './support/burn.js'
import { decodeProfile } from './support/decode.js'
import { postSync } from '../src/profiler/post-sync.js'

let kept: Array<{ i: number, label: string }> = []
// A plain loop in a function too big to inline (pitfalls.md): the samples are charged to it.
function keepAfterDevToolsStop (count: number): void {
  for (let i = 0; i < count; i++) {
    kept.push({ i, label: 'after the stop' })
    if (i % 50_000 === 0) kept.length += 0
  }
}

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
      // And sample again: what is allocated from now on shows in the next profile.
      keepAfterDevToolsStop(200_000)
      const after = decodeProfile((await app.inject('/debug/heap')).rawPayload)
      expect(after.flat('inuse_space').get('keepAfterDevToolsStop')).toBeGreaterThan(2 * 1024 * 1024)
      kept = []
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
      const res = await whileBurning(async () => await app.inject('/debug/profile?seconds=1'))
      expect(res.statusCode).toBe(200)
      // Ours is a real CPU profile of what ran meanwhile, not an empty shell.
      const cpu = decodeProfile(res.rawPayload)
      expect(cpu.sampleTypes).toEqual(['samples/count', 'cpu/nanoseconds'])
      expect(cpu.cum('cpu').get('burnCpuForProfileTest')).toBeGreaterThan(100e6)
      let stopped = false
      session.post('Profiler.stop', (err, result) => { stopped = err === null && result.profile.nodes.length > 0 })
      expect(stopped).toBe(true)
    } finally {
      session.disconnect()
      await app.close()
    }
  })
})
