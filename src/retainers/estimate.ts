/**
 * What a heap snapshot will cost, from the heap's size alone, before anything
 * is done. The rates are measured (docs/leak-watch.md, "Deep mode"; `npm run
 * bench` prints them against this estimate): per heap node, 3 to 8 µs of stall
 * while V8 builds and writes the snapshot (the higher figures on a busy
 * machine), up to twice that for a process's first snapshot (V8 numbers every
 * object then), and 610 to 670 B of extra peak memory (V8's copy of the graph,
 * then the worker's parse); about 70 B of file. Nodes per heap byte vary from 33 B (small objects) to 95 B (mostly
 * code) a node: until this registration has measured its own, the dense end is
 * assumed, so the first estimate errs high.
 */

export const DEFAULT_HEAP_BYTES_PER_NODE = 35
export const STALL_US_PER_NODE = 5
/** A process's first snapshot: V8 assigns every object its id. */
export const FIRST_SNAPSHOT_STALL_FACTOR = 2
/** A measured rate varies by up to this much from one snapshot to the next on a busy machine. */
export const MEASURED_STALL_MARGIN = 1.5
export const EXTRA_BYTES_PER_NODE = 700
export const FILE_BYTES_PER_NODE = 70

export interface Estimate {
  readonly heapUsed: number
  readonly nodes: number
  readonly stallMs: number
  /** Peak memory above the heap's: V8's snapshot graph during the stall, then the worker's parse. */
  readonly extraBytes: number
  readonly fileBytes: number
  /** Where the node count came from. */
  readonly basis: 'assumed' | 'measured'
}

/** Rates this registration measured on its previous snapshot; absent before the first. */
export interface Measured {
  readonly heapBytesPerNode: number
  /** As a later snapshot would stall: a first snapshot's rate is divided by FIRST_SNAPSHOT_STALL_FACTOR. */
  readonly stallUsPerNode: number
}

export function estimate (heapUsed: number, measured?: Measured): Estimate {
  const perNode = measured?.heapBytesPerNode ?? DEFAULT_HEAP_BYTES_PER_NODE
  const nodes = Math.ceil(heapUsed / perNode)
  // A measured stall rate below the table's would promise too much on a busier heap: take the larger.
  const usPerNode = measured === undefined
    ? STALL_US_PER_NODE * FIRST_SNAPSHOT_STALL_FACTOR
    : Math.max(STALL_US_PER_NODE, measured.stallUsPerNode) * MEASURED_STALL_MARGIN
  return {
    heapUsed,
    nodes,
    stallMs: Math.ceil(nodes * usPerNode / 1000),
    extraBytes: nodes * EXTRA_BYTES_PER_NODE,
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
