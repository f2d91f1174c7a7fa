import { createReadStream } from 'node:fs'
import { errors } from '../errors.js'
import { acquireForRequest } from '../http/heavy.js'
import { sendProfile } from '../http/reply.js'
import { snapshotBudget, writeSnapshotFile } from '../profiler/heap-snapshot.js'
import type { MakeHandler } from './handler.js'

const MB = 1024 * 1024

/**
 * `/heapsnapshot`: a V8 heap snapshot for Chrome DevTools (opt-in: the
 * heapSnapshot option). It holds the heavy lease from the memory check
 * to the last byte sent (a second snapshot meanwhile would double the disk
 * used), and the file is deleted however the download ends.
 */
export const heapSnapshot: MakeHandler = (ctx) => async (request, reply) => {
  const filename = `heap-${new Date().toISOString().replace(/[:.]/g, '-')}.heapsnapshot`
  if (request.method === 'HEAD') return sendProfile(reply, filename)
  const lease = acquireForRequest(ctx, reply, 'heap snapshot', 60_000)
  let file
  try {
    const { needed, available } = snapshotBudget()
    if (needed > available) {
      throw new errors.FST_PPROF_INSUFFICIENT_MEMORY(Math.round(needed / MB), Math.round(available / MB))
    }
    file = await writeSnapshotFile()
  } catch (err) {
    lease.release()
    throw err
  }
  const written = file
  const stream = createReadStream(written.path)
  const finish = (): void => {
    lease.release()
    written.remove().catch((err: unknown) => request.log.error({ err }, 'fastify-pprof: could not delete a heap snapshot'))
  }
  // However the download ends (done, client gone, app closing), the file goes.
  reply.raw.once('close', finish)
  lease.signal.addEventListener('abort', () => stream.destroy(), { once: true })
  return sendProfile(reply, filename, stream)
}
