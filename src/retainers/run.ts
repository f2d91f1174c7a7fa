import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { WorkerReply, WorkerRequest } from './protocol.js'

/**
 * The worker's file. Built, it sits beside this module; run from the sources
 * (the tests), there is no JavaScript beside it, and the build's copy is used.
 */
function workerFile (): URL {
  const beside = new URL('./worker.js', import.meta.url)
  return existsSync(fileURLToPath(beside)) ? beside : new URL('../../dist/retainers/worker.js', import.meta.url)
}

/**
 * Parses and analyzes a snapshot file in a worker thread. The signal
 * terminates the worker at once (a parse holds hundreds of MB: an abandoned
 * one must not run to its end).
 */
export async function analyzeInWorker (request: WorkerRequest, signal: AbortSignal): Promise<WorkerReply & { ok: true }> {
  signal.throwIfAborted()
  const worker = new Worker(workerFile(), { workerData: request })
  return await new Promise((resolve, reject) => {
    const onAbort = (): void => {
      worker.terminate().catch(() => {})
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    const done = (): void => signal.removeEventListener('abort', onAbort)
    worker.once('message', (reply: WorkerReply) => {
      done()
      if (reply.ok) resolve(reply)
      else reject(new Error(reply.message))
    })
    worker.once('error', (err) => { done(); reject(err) })
    worker.once('exit', (code) => { done(); reject(new Error(`the analysis worker exited (code ${code}) without an answer`)) })
  })
}
