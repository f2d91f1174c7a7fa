import type { RetainerAnalysis } from './analyze.js'

/** What the main thread asks of the analysis worker, and what it answers. */
export interface WorkerRequest {
  readonly path: string
  readonly watermark: number
  readonly maxClusters: number
  readonly sentinel?: string
}

export type WorkerReply =
  | { readonly ok: true, readonly analysis: RetainerAnalysis, readonly parseMs: number, readonly analyzeMs: number }
  | { readonly ok: false, readonly message: string, readonly notSnapshot: boolean }
