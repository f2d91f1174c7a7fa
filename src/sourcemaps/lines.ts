import type { SourceMapSegment } from '@jridgewell/trace-mapping'
import type { Slicer } from '../cooperative.js'

/**
 * Decoding only the generated lines a profile needs. A source map's mappings
 * are base64 VLQ deltas that run on across lines (only the generated column
 * restarts per line), so line N cannot be read without summing everything
 * before it. indexLines() sums once, when a map is loaded, and keeps the
 * running totals every CHUNK_LINES lines; decodeLines() then starts from the
 * nearest checkpoint. Decoding a whole 2 MB mappings string costs 150-250 ms
 * and some 60 MB of arrays, for a profile that touches a few hundred lines.
 */

export const CHUNK_LINES = 64

/** Running totals at the start of every CHUNK_LINES-th line. */
export interface LineIndex {
  /** Per chunk: offset in the mappings, then source index, source line, source column and name index before it. */
  readonly checkpoints: Int32Array
  /** Generated lines the mappings cover. */
  readonly lines: number
}

const BASE64 = new Int8Array(128).fill(-1)
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
for (let i = 0; i < ALPHABET.length; i++) BASE64[ALPHABET.charCodeAt(i)] = i

const SEMICOLON = 59
const COMMA = 44

/** The checkpoints of a mappings string (base64 VLQ, `,` and `;` only: checked by the caller). */
export function indexLines (mappings: string): LineIndex {
  const checkpoints: number[] = [0, 0, 0, 0, 0]
  // Running totals of fields 1-4 of every segment: source, line, column, name.
  const totals = [0, 0, 0, 0, 0]
  let field = 0
  let value = 0
  let shift = 0
  let line = 0
  const length = mappings.length
  for (let i = 0; i < length; i++) {
    const c = mappings.charCodeAt(i)
    if (c === SEMICOLON || c === COMMA) {
      field = 0
      if (c === SEMICOLON && ++line % CHUNK_LINES === 0) checkpoints.push(i + 1, totals[1] as number, totals[2] as number, totals[3] as number, totals[4] as number)
      continue
    }
    const digit = BASE64[c] ?? -1
    value |= (digit & 31) << shift
    if ((digit & 32) !== 0) {
      shift += 5
      continue
    }
    // Same sign rule as @jridgewell/sourcemap-codec.
    const delta = (value & 1) !== 0 ? -2147483648 | -(value >>> 1) : value >>> 1
    if (field > 0 && field < 5) totals[field] = (totals[field] as number) + delta
    field++
    value = 0
    shift = 0
  }
  return { checkpoints: Int32Array.from(checkpoints), lines: line + 1 }
}

const EMPTY: SourceMapSegment[] = []

/**
 * Decoded mappings as trace-mapping takes them (`presortedDecodedMap`): one
 * array per generated line, segments sorted by column, the wanted lines
 * (0-based) filled in and every other line sharing one empty array.
 */
export async function decodeLines (mappings: string, index: LineIndex, wanted: Iterable<number>, slicer?: Slicer): Promise<SourceMapSegment[][]> {
  const decoded = new Array<SourceMapSegment[]>(index.lines).fill(EMPTY)
  const byChunk = new Map<number, Set<number>>()
  for (const line of wanted) {
    if (!Number.isInteger(line) || line < 0 || line >= index.lines) continue
    const chunk = Math.floor(line / CHUNK_LINES)
    let lines = byChunk.get(chunk)
    if (lines === undefined) byChunk.set(chunk, lines = new Set())
    lines.add(line)
  }
  for (const [chunk, lines] of byChunk) {
    decodeChunk(mappings, index, chunk, lines, decoded)
    if (slicer?.due() === true) await slicer.yield()
  }
  return decoded
}

function decodeChunk (mappings: string, index: LineIndex, chunk: number, lines: Set<number>, decoded: SourceMapSegment[][]): void {
  const cp = index.checkpoints
  const base = chunk * 5
  let source = cp[base + 1] as number
  let sourceLine = cp[base + 2] as number
  let sourceColumn = cp[base + 3] as number
  let name = cp[base + 4] as number
  let line = chunk * CHUNK_LINES
  let last = line
  for (const l of lines) last = Math.max(last, l)
  // Scalars, no arrays: most lines of a chunk are only summed, not kept.
  let segments: SourceMapSegment[] | undefined = lines.has(line) ? [] : undefined
  let sorted = true
  let column = 0
  let field = 0
  let segmentColumn = 0
  let value = 0
  let shift = 0
  const length = mappings.length
  for (let i = cp[base] as number; i <= length; i++) {
    const c = i < length ? mappings.charCodeAt(i) : SEMICOLON
    if (c === SEMICOLON || c === COMMA) {
      if (segments !== undefined && field > 0) {
        if (segments.length > 0 && segmentColumn < ((segments[segments.length - 1] as SourceMapSegment)[0])) sorted = false
        // 1 field: generated code with no source; 4 or 5: a mapping; 2 or 3 are invalid and dropped.
        if (field === 1) segments.push([segmentColumn])
        else if (field === 4) segments.push([segmentColumn, source, sourceLine, sourceColumn])
        else if (field === 5) segments.push([segmentColumn, source, sourceLine, sourceColumn, name])
      }
      field = 0
      if (c === COMMA) continue
      if (segments !== undefined) {
        if (!sorted) segments.sort((a, b) => a[0] - b[0])
        decoded[line] = segments
      }
      if (++line > last) return
      segments = lines.has(line) ? [] : undefined
      sorted = true
      column = 0
      continue
    }
    const digit = BASE64[c] ?? -1
    value |= (digit & 31) << shift
    if ((digit & 32) !== 0) {
      shift += 5
      continue
    }
    const delta = (value & 1) !== 0 ? -2147483648 | -(value >>> 1) : value >>> 1
    value = 0
    shift = 0
    switch (field++) {
      case 0: column += delta; segmentColumn = column; break
      case 1: source += delta; break
      case 2: sourceLine += delta; break
      case 3: sourceColumn += delta; break
      case 4: name += delta; break
    }
  }
}
