import type { Slicer } from '../cooperative.js'

/** One JavaScript stack frame as the profilers report it (lines and columns 1-based, 0 = unknown). */
export interface Frame {
  readonly name: string
  readonly file: string
  /** Line of the frame: the sampled line (CPU) or the function's line (heap). */
  readonly line: number
  readonly column: number
  /** Line where the function starts, 0 when unknown. */
  readonly functionLine: number
}

/**
 * Rewrites the frames of one profile before it is written: the source-map
 * step (sourcemaps/), or nothing. Declared here, where profiles are written,
 * so that sourcemaps/ depends on pprof/ and not the other way round.
 */
export interface FrameMapper {
  map (frames: FrameTable, slicer: Slicer): Promise<void>
  close (): void
}

/** The name a profile shows for a frame: V8 leaves some functions unnamed. */
export function displayName (frame: Frame): string {
  return frame.name === '' ? '(anonymous)' : frame.name
}

/**
 * Gives each distinct frame a small integer for the life of one request, so
 * stacks can be keyed cheaply and the two halves of a delta compared.
 */
export class FrameTable {
  readonly frames: Frame[] = []
  readonly #ids = new Map<string, number>()
  // Script -> start position -> id: V8 names a function by where it starts, so
  // heap frames can be found without building a string key per call-tree node.
  readonly #byPosition = new Map<string, Map<number, number>>()

  id (frame: Frame): number {
    return this.idOf(frame.name, frame.file, frame.line, frame.column, frame.functionLine, frame)
  }

  /** Like id(), without allocating a Frame when the frame is already known (hot loops). */
  idOf (name: string, file: string, line: number, column: number, functionLine: number, frame?: Frame): number {
    const key = `${name}\0${file}\0${line}\0${column}`
    let id = this.#ids.get(key)
    if (id === undefined) {
      id = this.frames.length
      this.frames.push(frame ?? { name, file, line, column, functionLine })
      this.#ids.set(key, id)
    }
    return id
  }

  /**
   * The id of the function starting at (line, column) of `script`, made by
   * `make(source)` on first sight. Only for positioned frames (line > 0), whose
   * script and start identify them (heap frames). `make` takes its input as an
   * argument so that callers in hot loops need no closure per call.
   */
  idAtPosition<T> (script: string, line: number, column: number, make: (source: T) => Frame, source: T): number {
    let inScript = this.#byPosition.get(script)
    if (inScript === undefined) {
      inScript = new Map()
      this.#byPosition.set(script, inScript)
    }
    const position = line * 0x100000 + column
    let id = inScript.get(position)
    if (id === undefined) {
      id = this.frames.length
      this.frames.push(make(source))
      inScript.set(position, id)
    }
    return id
  }

  /** Rewrites a frame in place (source maps); its id and stacks stay as they are. */
  replace (id: number, frame: Frame): void {
    if (id < 0 || id >= this.frames.length) throw new RangeError(`no frame ${id}`)
    this.frames[id] = frame
  }

  get (id: number): Frame {
    const frame = this.frames[id]
    if (frame === undefined) throw new RangeError(`no frame ${id}`)
    return frame
  }
}

/** A stack (frame ids, leaf first) with one value per sample type. */
export interface StackRecord {
  readonly frameIds: readonly number[]
  readonly values: number[]
}

/** Stacks keyed by their frame ids, so equal stacks add up. */
export class StackSet {
  readonly #records = new Map<string, StackRecord>()

  add (frameIds: readonly number[], values: readonly number[]): void {
    const key = frameIds.join(',')
    const existing = this.#records.get(key)
    if (existing === undefined) {
      this.#records.set(key, { frameIds, values: [...values] })
      return
    }
    for (let i = 0; i < values.length; i++) existing.values[i] = (existing.values[i] ?? 0) + (values[i] ?? 0)
  }

  get size (): number {
    return this.#records.size
  }

  entries (): IterableIterator<[string, StackRecord]> {
    return this.#records.entries()
  }

  values (): IterableIterator<StackRecord> {
    return this.#records.values()
  }

  get (key: string): StackRecord | undefined {
    return this.#records.get(key)
  }

  /** Sum of one value over all stacks. */
  total (index: number): number {
    let sum = 0
    for (const record of this.#records.values()) sum += record.values[index] ?? 0
    return sum
  }
}
