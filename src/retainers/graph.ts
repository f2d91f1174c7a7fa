/**
 * A V8 heap snapshot held as typed arrays: only the columns the retainer
 * analysis reads, one array each, so a graph of millions of nodes costs tens
 * of bytes per node instead of a JS object per node.
 */
export interface HeapGraph {
  readonly nodeCount: number
  readonly edgeCount: number
  /** Names of the values of `nodeType` and `edgeType`, from the snapshot's own meta. */
  readonly nodeTypes: readonly string[]
  readonly edgeTypes: readonly string[]
  readonly nodeType: Uint8Array
  /** Index into `strings`. */
  readonly nodeName: Uint32Array
  readonly nodeId: Uint32Array
  /** Clamped to 2^32-1: no single object in a snapshot comes near it. */
  readonly nodeSelfSize: Uint32Array
  /** Edges of node i are firstEdge[i] .. firstEdge[i+1]-1 (nodeCount + 1 entries). */
  readonly firstEdge: Uint32Array
  readonly edgeType: Uint8Array
  /** Index into `strings`, or an element index for element and hidden edges. */
  readonly edgeName: Uint32Array
  /** Target node's ordinal (not the snapshot's field offset). */
  readonly edgeTo: Uint32Array
  /**
   * Only the names the analysis can print: node names of objects, closures and
   * V8 internals, and edge names. The contents of string nodes are never
   * kept, so no string value can leak into a report.
   */
  readonly strings: ReadonlyArray<string | undefined>
  /** The highest odd id: V8's heap objects get odd ids in allocation order (even ids are embedder nodes, from hashes). */
  readonly maxNodeId: number
}

/** Node types whose names are data (string contents, regexp sources, code), never printed. */
export const VALUE_NODE_TYPES: ReadonlySet<string> = new Set(['string', 'concatenated string', 'sliced string', 'regexp', 'code', 'number', 'bigint'])

/** Edge types whose name_or_index is an index, not a string. */
export const INDEX_EDGE_TYPES: ReadonlySet<string> = new Set(['element', 'hidden'])

export class NotASnapshotError extends Error {
  constructor (why: string) {
    super(`not a V8 heap snapshot: ${why}`)
    this.name = 'NotASnapshotError'
  }
}
