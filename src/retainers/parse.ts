import { createReadStream } from 'node:fs'
import { type HeapGraph, INDEX_EDGE_TYPES, NotASnapshotError, VALUE_NODE_TYPES } from './graph.js'

/**
 * A streaming .heapsnapshot reader. A snapshot of a few hundred MB of heap is
 * more JSON than V8 can hold in one string (ERR_STRING_TOO_LONG at 512 MiB),
 * so the file is never one string: only the small header is JSON.parse'd, the
 * big number arrays are parsed digit by digit straight into typed arrays, and
 * of the string table only the names the analysis can print are decoded.
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN = 0x5b
const CLOSE = 0x5d
const COLON = 0x3a
const BRACE_CLOSE = 0x7d
const ZERO = 0x30
const NINE = 0x39
const MAX_HEADER = 1 << 20
// Longer names are not names a reader wants in a path; their bytes are skipped, not kept.
const MAX_NAME_BYTES = 512
const U32_MAX = 0xffffffff

interface Meta {
  node_fields: string[]
  node_types: [string[], ...unknown[]]
  edge_fields: string[]
  edge_types: [string[], ...unknown[]]
}

export interface ParseOptions {
  /** Read only the node ids (for a base snapshot whose maximum id is all that is needed). */
  readonly idsOnly?: boolean
}

const enum State { Header, Key, InKey, Colon, Value, Numbers, Strings, InString, Done }

export class SnapshotParser {
  readonly #idsOnly: boolean
  #state = State.Header
  #header: Buffer[] = []
  #headerBytes = 0
  #key: number[] = []
  #keyName = ''
  #depth = 0
  #number = 0
  #inNumber = false
  #escaped = false
  #stringBytes: number[] | undefined
  #stringTooLong = false
  #stringIndex = 0
  #wanted: Uint8Array | undefined
  #sink: ((value: number) => void) | undefined

  #nodeFieldCount = 0
  #edgeFieldCount = 0
  #nodeCount = 0
  #edgeCount = 0
  #nodeTypes: string[] = []
  #edgeTypes: string[] = []
  #nodeFieldRole: number[] = []
  #edgeFieldRole: number[] = []
  #nodeValues = 0
  #edgeValues = 0
  #maxId = 0
  #sawNodes = false
  #sawEdges = false
  #sawStrings = false

  #nodeType = new Uint8Array(0)
  #nodeName = new Uint32Array(0)
  #nodeId = new Uint32Array(0)
  #nodeSelfSize = new Uint32Array(0)
  #firstEdge = new Uint32Array(0)
  #edgeType = new Uint8Array(0)
  #edgeName = new Uint32Array(0)
  #edgeTo = new Uint32Array(0)
  #strings: Array<string | undefined> = []

  constructor (options: ParseOptions = {}) {
    this.#idsOnly = options.idsOnly === true
  }

  write (chunk: Buffer): void {
    let i = 0
    if (this.#state === State.Header) {
      i = this.#readHeader(chunk)
      if (i < 0) return
    }
    this.#body(chunk, i)
  }

  end (): HeapGraph {
    if (this.#state === State.Header) throw new NotASnapshotError('no "nodes" array after the header')
    if (this.#state !== State.Done) throw new NotASnapshotError('the file ends early (truncated?)')
    if (!this.#sawNodes || this.#nodeValues !== this.#nodeCount * this.#nodeFieldCount) {
      throw new NotASnapshotError(`expected ${this.#nodeCount} nodes, read ${Math.floor(this.#nodeValues / this.#nodeFieldCount)}`)
    }
    if (this.#idsOnly) return this.#graph()
    if (!this.#sawEdges || this.#edgeValues !== this.#edgeCount * this.#edgeFieldCount) {
      throw new NotASnapshotError(`expected ${this.#edgeCount} edges, read ${Math.floor(this.#edgeValues / Math.max(1, this.#edgeFieldCount))}`)
    }
    if (!this.#sawStrings) throw new NotASnapshotError('no "strings" array')
    // Edge counts become start offsets: node i's edges follow node i-1's in the edges array.
    const first = this.#firstEdge
    for (let n = 1; n < first.length; n++) first[n] = (first[n] ?? 0) + (first[n - 1] ?? 0)
    if (first[this.#nodeCount] !== this.#edgeCount) throw new NotASnapshotError('node edge counts do not add up to edge_count')
    return this.#graph()
  }

  #graph (): HeapGraph {
    return {
      nodeCount: this.#nodeCount,
      edgeCount: this.#idsOnly ? 0 : this.#edgeCount,
      nodeTypes: this.#nodeTypes,
      edgeTypes: this.#edgeTypes,
      nodeType: this.#nodeType,
      nodeName: this.#nodeName,
      nodeId: this.#nodeId,
      nodeSelfSize: this.#nodeSelfSize,
      firstEdge: this.#firstEdge,
      edgeType: this.#edgeType,
      edgeName: this.#edgeName,
      edgeTo: this.#edgeTo,
      strings: this.#strings,
      maxNodeId: this.#maxId
    }
  }

  /** Returns where the body starts in this chunk, or -1 while the header is still incomplete. */
  #readHeader (chunk: Buffer): number {
    this.#header.push(chunk)
    this.#headerBytes += chunk.length
    const all = Buffer.concat(this.#header)
    if (all.length > 0 && all[0] !== 0x7b) throw new NotASnapshotError('it does not start with "{"')
    const at = all.indexOf('"nodes":')
    if (at < 0) {
      if (this.#headerBytes > MAX_HEADER) throw new NotASnapshotError('no "nodes" array in its first MB')
      this.#header = [all]
      return -1
    }
    const text = all.subarray(0, at).toString('utf8').trimEnd().replace(/,$/, '') + '}'
    let header: { snapshot?: { meta?: Meta, node_count?: unknown, edge_count?: unknown } }
    try {
      header = JSON.parse(text) as typeof header
    } catch {
      throw new NotASnapshotError('its header is not JSON')
    }
    this.#setup(header.snapshot)
    this.#header = []
    this.#state = State.Key
    // The body starts at "nodes" in the concatenation; in this chunk, that is counted from its end.
    const rest = all.length - at
    if (rest <= chunk.length) return chunk.length - rest
    // The key began in an earlier chunk: feed that part first.
    this.#body(all.subarray(at, all.length - chunk.length), 0)
    return 0
  }

  #setup (snapshot: { meta?: Meta, node_count?: unknown, edge_count?: unknown } | undefined): void {
    const meta = snapshot?.meta
    if (meta === undefined || !Array.isArray(meta.node_fields) || !Array.isArray(meta.edge_fields) ||
      !Array.isArray(meta.node_types?.[0]) || !Array.isArray(meta.edge_types?.[0])) {
      throw new NotASnapshotError('its header has no snapshot.meta')
    }
    const nodeCount = snapshot?.node_count
    const edgeCount = snapshot?.edge_count
    if (typeof nodeCount !== 'number' || typeof edgeCount !== 'number' || !(nodeCount >= 0) || !(edgeCount >= 0)) {
      throw new NotASnapshotError('its header has no node_count or edge_count')
    }
    const roles = (fields: string[], wanted: string[]): number[] => fields.map((f) => wanted.indexOf(f))
    this.#nodeFieldRole = roles(meta.node_fields, ['type', 'name', 'id', 'self_size', 'edge_count'])
    this.#edgeFieldRole = roles(meta.edge_fields, ['type', 'name_or_index', 'to_node'])
    for (const [field, role] of [['id', 2], ['edge_count', 4]] as const) {
      if (!this.#nodeFieldRole.includes(role)) throw new NotASnapshotError(`its nodes have no ${field} field`)
    }
    if (!this.#edgeFieldRole.includes(2)) throw new NotASnapshotError('its edges have no to_node field')
    this.#nodeFieldCount = meta.node_fields.length
    this.#edgeFieldCount = meta.edge_fields.length
    this.#nodeCount = nodeCount
    this.#edgeCount = edgeCount
    this.#nodeTypes = meta.node_types[0]
    this.#edgeTypes = meta.edge_types[0]
    this.#nodeId = new Uint32Array(nodeCount)
    if (this.#idsOnly) return
    this.#nodeType = new Uint8Array(nodeCount)
    this.#nodeName = new Uint32Array(nodeCount)
    this.#nodeSelfSize = new Uint32Array(nodeCount)
    this.#firstEdge = new Uint32Array(nodeCount + 1)
    this.#edgeType = new Uint8Array(edgeCount)
    this.#edgeName = new Uint32Array(edgeCount)
    this.#edgeTo = new Uint32Array(edgeCount)
  }

  #nodeSink = (value: number): void => {
    const k = this.#nodeValues++
    const node = Math.floor(k / this.#nodeFieldCount)
    if (node >= this.#nodeCount) throw new NotASnapshotError('more nodes than node_count')
    switch (this.#nodeFieldRole[k % this.#nodeFieldCount]) {
      case 0: if (!this.#idsOnly) this.#nodeType[node] = value; break
      case 1: if (!this.#idsOnly) this.#nodeName[node] = value; break
      case 2:
        this.#nodeId[node] = value
        // V8 numbers heap objects with odd ids, in allocation order; embedder (C++) nodes get even ids from hashes.
        if ((value & 1) === 1 && value > this.#maxId) this.#maxId = value
        break
      case 3: if (!this.#idsOnly) this.#nodeSelfSize[node] = Math.min(value, U32_MAX); break
      case 4: if (!this.#idsOnly) this.#firstEdge[node + 1] = value; break
    }
  }

  #edgeSink = (value: number): void => {
    const k = this.#edgeValues++
    const edge = Math.floor(k / this.#edgeFieldCount)
    if (edge >= this.#edgeCount) throw new NotASnapshotError('more edges than edge_count')
    switch (this.#edgeFieldRole[k % this.#edgeFieldCount]) {
      case 0: this.#edgeType[edge] = value; break
      case 1: this.#edgeName[edge] = value; break
      case 2: this.#edgeTo[edge] = value / this.#nodeFieldCount; break
    }
  }

  /**
   * Marks the strings worth decoding: names of nodes that are not values and
   * names of named edges. Everything else in the table (string contents,
   * source code) is skipped byte by byte and never becomes a JS string.
   */
  #wantedStrings (): Uint8Array {
    let max = 0
    const valueTypes = this.#nodeTypes.map((t) => VALUE_NODE_TYPES.has(t))
    const indexEdges = this.#edgeTypes.map((t) => INDEX_EDGE_TYPES.has(t))
    for (let n = 0; n < this.#nodeCount; n++) if (valueTypes[this.#nodeType[n] ?? 0] !== true) max = Math.max(max, this.#nodeName[n] ?? 0)
    for (let e = 0; e < this.#edgeCount; e++) if (indexEdges[this.#edgeType[e] ?? 0] !== true) max = Math.max(max, this.#edgeName[e] ?? 0)
    const wanted = new Uint8Array(max + 1)
    for (let n = 0; n < this.#nodeCount; n++) if (valueTypes[this.#nodeType[n] ?? 0] !== true) wanted[this.#nodeName[n] ?? 0] = 1
    for (let e = 0; e < this.#edgeCount; e++) if (indexEdges[this.#edgeType[e] ?? 0] !== true) wanted[this.#edgeName[e] ?? 0] = 1
    return wanted
  }

  #startValue (): void {
    const key = this.#keyName
    this.#depth = 1
    if (key === 'strings') {
      this.#sawStrings = true
      if (this.#idsOnly) {
        this.#wanted = new Uint8Array(0)
      } else {
        // Strings before nodes and edges would be a format V8 never wrote: keep nothing rather than guess.
        this.#wanted = this.#sawNodes && this.#sawEdges ? this.#wantedStrings() : new Uint8Array(0)
      }
      this.#state = State.Strings
      return
    }
    if (key === 'nodes') { this.#sawNodes = true; this.#sink = this.#nodeSink } else if (key === 'edges') {
      this.#sawEdges = true
      this.#sink = this.#idsOnly ? undefined : this.#edgeSink
    } else this.#sink = undefined
    this.#state = State.Numbers
  }

  #body (b: Buffer, from: number): void {
    const len = b.length
    for (let i = from; i < len; i++) {
      const c = b[i] as number
      switch (this.#state) {
        case State.Numbers:
          if (c >= ZERO && c <= NINE) {
            this.#number = this.#number * 10 + (c - ZERO)
            this.#inNumber = true
            continue
          }
          if (this.#inNumber) {
            this.#sink?.(this.#number)
            this.#number = 0
            this.#inNumber = false
          }
          if (c === OPEN) this.#depth++
          else if (c === CLOSE && --this.#depth === 0) this.#state = State.Key
          continue
        case State.InString:
          if (this.#escaped) {
            this.#escaped = false
          } else if (c === BACKSLASH) {
            this.#escaped = true
          } else if (c === QUOTE) {
            this.#endString()
            continue
          }
          if (this.#stringBytes !== undefined) {
            if (this.#stringBytes.length < MAX_NAME_BYTES) this.#stringBytes.push(c)
            else this.#stringTooLong = true
          }
          continue
        case State.Strings:
          if (c === QUOTE) {
            const wanted = this.#wanted?.[this.#stringIndex] === 1
            this.#stringBytes = wanted ? [] : undefined
            this.#stringTooLong = false
            this.#state = State.InString
          } else if (c === CLOSE) {
            this.#state = State.Key
          }
          continue
        case State.Key:
          if (c === QUOTE) {
            this.#key = []
            this.#state = State.InKey
          } else if (c === BRACE_CLOSE) {
            this.#state = State.Done
          }
          continue
        case State.InKey:
          if (c === QUOTE) {
            this.#keyName = Buffer.from(this.#key).toString('latin1')
            this.#state = State.Colon
          } else if (this.#key.length < 64) {
            this.#key.push(c)
          }
          continue
        case State.Colon:
          if (c === COLON) this.#state = State.Value
          continue
        case State.Value:
          if (c === OPEN) this.#startValue()
          else if (c > 0x20) throw new NotASnapshotError(`"${this.#keyName}" is not an array`)
          continue
        case State.Done:
          if (c > 0x20) throw new NotASnapshotError('data after the end of the snapshot')
          continue
      }
    }
  }

  #endString (): void {
    const bytes = this.#stringBytes
    if (bytes !== undefined) {
      let text: string
      if (this.#stringTooLong) {
        text = '(long name)'
      } else {
        try {
          text = JSON.parse(`"${Buffer.from(bytes).toString('utf8')}"`) as string
        } catch {
          text = '(unreadable name)'
        }
      }
      this.#strings[this.#stringIndex] = text
    }
    this.#stringIndex++
    this.#stringBytes = undefined
    this.#state = State.Strings
  }
}

/** Reads a .heapsnapshot file into a graph, chunk by chunk; the signal stops it between chunks. */
export async function parseSnapshotFile (path: string, options: ParseOptions = {}, signal?: AbortSignal): Promise<HeapGraph> {
  const parser = new SnapshotParser(options)
  const stream = createReadStream(path, { highWaterMark: 1 << 22, signal })
  for await (const chunk of stream) parser.write(chunk as Buffer)
  return parser.end()
}
