import { LEAST_UPPER_BOUND, originalPositionFor, traceSegment, type TraceMap } from '@jridgewell/trace-mapping'
import type { Slicer } from '../cooperative.js'
import type { Frame, FrameMapper, FrameTable } from '../pprof/frames.js'
import type { ResolvedOptions } from '../options.js'
import { frameFile, functionName } from '../profiler/names.js'
import { decodeMap, type PreparedMap, SourceMapStore, type StoreLimits } from './loader.js'

export type { FrameMapper }

const IDENTITY: FrameMapper = { async map () {}, close () {} }

interface Position {
  readonly source: string
  /** 1-based. */
  readonly line: number
  /** 0-based. */
  readonly column: number
  readonly name: string | null
}

// A plain identifier: what a bundler renames or a minifier shortens.
const IDENTIFIER = /^[$_\p{ID_Start}][$\u200c\u200d\p{ID_Continue}]*$/u

function isPlaceholder (name: string): boolean {
  return name === '' || name.startsWith('(anonymous')
}

function validPosition (source: unknown, line: unknown, column: unknown, name: unknown): Position | null {
  // Garbage mappings decode to garbage: a source index past the list, negative lines.
  if (typeof source !== 'string' || source === '' || typeof line !== 'number' || !Number.isInteger(line) || line < 1 ||
    typeof column !== 'number' || !Number.isInteger(column) || column < 0) return null
  return { source, line, column, name: typeof name === 'string' && name !== '' ? name : null }
}

/**
 * The original position of a generated one (line 1-based, column 1-based or
 * 0 when unknown). A known column takes the mapping at or before it; an
 * unknown one (CPU samples carry lines only) the first mapping of the line.
 * The name is that of a mapping that starts before the column: at a
 * function's start (its parameters) that is the function's own identifier,
 * never a parameter's.
 */
function lookup (map: TraceMap, line: number, column: number): Position | null {
  if (line <= 0) return null
  if (column > 0) {
    const segment = traceSegment(map, line - 1, column - 1)
    if (segment !== null) {
      // A segment of one field marks generated code with no original (helpers).
      const [generatedColumn = 0, source = -1, sourceLine = -1, sourceColumn, nameIndex] = segment as readonly number[]
      const name = nameIndex !== undefined && generatedColumn < column - 1 ? map.names[nameIndex] : null
      return validPosition(map.resolvedSources[source], sourceLine + 1, sourceColumn, name)
    }
  }
  const found = originalPositionFor(map, { line, column: Math.max(0, column - 1), bias: LEAST_UPPER_BOUND })
  return validPosition(found.source, found.line, found.column, null)
}

/** What one map() call knows about one generated file. */
interface FileState {
  readonly map: TraceMap
  /** Lookups by line * 2^32 + column. */
  readonly positions: Map<number, Position | null>
  /** Function start columns by start line, then name (CPU frames of a sampled line lack them). */
  readonly starts: Map<number, Map<string, number>>
}

function cachedLookup (state: FileState, line: number, column: number): Position | null {
  const key = line * 0x1_0000_0000 + column
  let position = state.positions.get(key)
  if (position === undefined) {
    position = lookup(state.map, line, column)
    state.positions.set(key, position)
  }
  return position
}

async function fileState (prepared: PreparedMap, lines: Iterable<number>, slicer: Slicer): Promise<FileState | null> {
  const map = await decodeMap(prepared, lines, slicer)
  return map === null ? null : { map, positions: new Map(), starts: new Map() }
}

// Maps read at once when a profile needs several (the reads overlap in libuv's pool).
const LOAD_CONCURRENCY = 8

/**
 * Maps frames of compiled code (TypeScript, bundles) to their sources through
 * source maps found next to the running files. A frame whose map is missing,
 * broken or silent about its position stays as it was.
 */
export class SourceMapFrameMapper implements FrameMapper {
  readonly #store: SourceMapStore

  constructor (searchDirs: readonly string[] | undefined, limits: Partial<StoreLimits> = {}) {
    this.#store = new SourceMapStore(searchDirs, limits)
  }

  /**
   * The maps of every file of these frames, held for this call whatever the
   * LRU drops meanwhile (a profile may touch more files than it keeps).
   */
  async #files (frames: FrameTable, slicer: Slicer): Promise<Map<string, FileState | null>> {
    // The generated lines (0-based) each eligible file needs: only those get decoded.
    const wanted = new Map<string, Set<number>>()
    const skipped = new Set<string>()
    for (const frame of frames.frames) {
      if (slicer.due()) await slicer.yield()
      let lines = wanted.get(frame.file)
      if (lines === undefined) {
        if (skipped.has(frame.file)) continue
        if (!this.#store.eligible(frameFile(frame.file))) {
          skipped.add(frame.file)
          continue
        }
        wanted.set(frame.file, lines = new Set())
      }
      lines.add(frame.line - 1)
      if (frame.functionLine > 0) lines.add(frame.functionLine - 1)
    }
    // Maps not loaded yet are read a few at a time, so the reads overlap in
    // libuv's pool. Decoding is done after, in one sequence: concurrent
    // workers sharing the slicer would each run a slice before it yields.
    const prepared = new Map<string, PreparedMap | null>()
    const pending: string[] = []
    for (const file of wanted.keys()) {
      const known = this.#store.peek(frameFile(file))
      if (known === undefined) pending.push(file)
      else prepared.set(file, known)
    }
    let next = 0
    const loader = async (): Promise<void> => {
      while (next < pending.length) {
        const file = pending[next++] as string
        prepared.set(file, await this.#store.load(frameFile(file)))
      }
    }
    await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, pending.length) }, loader))
    const files = new Map<string, FileState | null>()
    for (const [file, map] of prepared) {
      files.set(file, map === null ? null : await fileState(map, wanted.get(file) ?? [], slicer))
      if (slicer.due()) await slicer.yield()
    }
    for (const f of frames.frames) {
      if (slicer.due()) await slicer.yield()
      if (f.line !== f.functionLine || f.column <= 0) continue
      const state = files.get(f.file)
      if (state == null) continue
      let byName = state.starts.get(f.functionLine)
      if (byName === undefined) state.starts.set(f.functionLine, byName = new Map())
      byName.set(f.name, f.column)
    }
    return files
  }

  async map (frames: FrameTable, slicer: Slicer): Promise<void> {
    const files = await this.#files(frames, slicer)
    const count = frames.frames.length
    for (let id = 0; id < count; id++) {
      if (slicer.due()) await slicer.yield()
      const frame = frames.get(id)
      const state = files.get(frame.file)
      if (state == null) continue
      try {
        const functionColumn = frame.line === frame.functionLine ? frame.column : state.starts.get(frame.functionLine)?.get(frame.name) ?? 0
        const position = cachedLookup(state, frame.line, frame.column)
        const start = frame.functionLine > 0 ? cachedLookup(state, frame.functionLine, functionColumn) : null
        const mapped = mapFrame(frame, position, start)
        if (mapped !== undefined) frames.replace(id, mapped)
      } catch {
        // Mappings that fail to decode: leave this file's frames alone from now on.
        this.#store.reject(frameFile(frame.file))
        files.set(frame.file, null)
      }
    }
  }

  close (): void {
    this.#store.clear()
  }

  /** Maps kept, the characters they hold, and remembered misses (for tests and the bench). */
  get cacheSize (): { maps: number, bytes: number, misses: number } {
    return this.#store.size
  }
}

/**
 * The frame at its original position, or undefined when the map says nothing.
 * A line the map skips inside a mapped function (generated helper code) goes
 * to the function's start rather than leave the function split in two files.
 */
function mapFrame (frame: Frame, found: Position | null, start: Position | null): Frame | undefined {
  const position = found ?? (start === null ? null : { ...start, column: 0, name: null })
  if (position === null) return undefined
  const file = position.source
  // The function's start line in the same source; a start that maps elsewhere is no start.
  let functionLine = 0
  if (start !== null && start.source === file) functionLine = start.line
  else if (frame.line === frame.functionLine) functionLine = position.line
  let name = frame.name
  if (isPlaceholder(name)) {
    name = functionName(undefined, file, functionLine > 0 ? functionLine : position.line)
  } else if (start?.name != null && IDENTIFIER.test(name)) {
    // A bundler's rename (run2) or a minifier's (a): the map names the
    // identifier that precedes the function's parameters.
    name = start.name
  }
  return {
    name,
    file,
    line: position.line,
    // An unknown column stays unknown: the line's first mapping says nothing about it.
    column: frame.column > 0 && found !== null ? position.column + 1 : 0,
    functionLine
  }
}

/** The frame mapper for these options: the identity when source maps are off. */
export function createFrameMapper (options: ResolvedOptions['sourceMaps']): FrameMapper {
  if (options === false) return IDENTITY
  return new SourceMapFrameMapper(options.searchDirs)
}
