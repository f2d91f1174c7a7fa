/**
 * The worker thread's entry (built to its own file): it parses a snapshot
 * file and analyzes it, so the main thread, already stopped once while V8
 * wrote the snapshot, never parses. It answers one message and exits.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { analyzeRetainers } from './analyze.js'
import { NotASnapshotError } from './graph.js'
import { parseSnapshotFile } from './parse.js'
import type { WorkerReply, WorkerRequest } from './protocol.js'

async function main (request: WorkerRequest): Promise<WorkerReply> {
  try {
    const started = performance.now()
    const graph = await parseSnapshotFile(request.path)
    const parsed = performance.now()
    const analysis = analyzeRetainers(graph, { watermark: request.watermark, maxClusters: request.maxClusters, sentinel: request.sentinel })
    return { ok: true, analysis, parseMs: parsed - started, analyzeMs: performance.now() - parsed }
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err), notSnapshot: err instanceof NotASnapshotError }
  }
}

parentPort?.postMessage(await main(workerData as WorkerRequest))
