/**
 * What a heap snapshot will cost, from the heap's size alone, before anything
 * is done. The rates are measured (docs/leak-watch.md, "Deep mode"): per
 * heap node, 3.0-4.4 µs of stall while V8 builds and writes the snapshot and
 * 220-365 B of extra memory for V8's copy of the graph; then about 70 B of
 * file and the worker's typed arrays. Nodes per heap byte vary from 33 B (small
 * objects) to 95 B (mostly code) a node: until this process has measured its
 * own, the dense end is assumed, so the first estimate errs high.
 */

export const DEFAULT_HEAP_BYTES_PER_NODE = 35
export const STALL_US_PER_NODE = 4
export const V8_BYTES_PER_NODE = 365
export const FILE_BYTES_PER_NODE = 70
/** The worker: typed arrays (node and edge columns, breadth-first arrays) and the names it decodes. */
export const PARSE_BYTES_PER_NODE = 120

export interface Estimate {
  readonly heapUsed: number
  readonly nodes: number
  readonly stallMs: number
  /** The larger of V8's snapshot graph (during the stall) and the worker's parse (after it). */
  readonly extraBytes: number
  readonly fileBytes: number
  /** Where the node count came from. */
  readonly basis: 'assumed' | 'measured'
}

/** Rates this process measured on its previous snapshot; absent before the first. */
export interface Measured {
  readonly heapBytesPerNode: number
  readonly stallUsPerNode: number
}

export function estimate (heapUsed: number, measured?: Measured): Estimate {
  const perNode = measured?.heapBytesPerNode ?? DEFAULT_HEAP_BYTES_PER_NODE
  const nodes = Math.ceil(heapUsed / perNode)
  // A measured stall rate below the table's would promise too much on a busier heap: take the larger.
  const usPerNode = Math.max(STALL_US_PER_NODE, measured?.stallUsPerNode ?? 0)
  return {
    heapUsed,
    nodes,
    stallMs: Math.ceil(nodes * usPerNode / 1000),
    extraBytes: nodes * Math.max(V8_BYTES_PER_NODE, PARSE_BYTES_PER_NODE),
    fileBytes: nodes * FILE_BYTES_PER_NODE,
    basis: measured === undefined ? 'assumed' : 'measured'
  }
}

const MB = 1024 * 1024

/** The estimate in one sentence, for a refusal and for the report. */
export function describeEstimate (e: Estimate): string {
  return `a heap snapshot of this heap (${Math.round(e.heapUsed / MB)} MB used, about ${formatCount(e.nodes)} nodes${e.basis === 'assumed' ? ' at an assumed 35 B a node' : ''}) ` +
    `would stop the event loop for about ${formatMs(e.stallMs)} and need about ${Math.ceil(e.extraBytes / MB)} MB of extra memory and ${Math.ceil(e.fileBytes / MB)} MB of disk`
}

function formatCount (n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`
  if (n >= 1e3) return `${Math.round(n / 1e3)} k`
  return String(n)
}

export function formatMs (ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`
}
