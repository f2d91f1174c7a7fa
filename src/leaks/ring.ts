import { type Frame, FrameTable, StackSet } from '../pprof/frames.js'

/** One heap capture, compactly: which interned stacks held how much, at a time. */
export interface Capture {
  /** ms since the epoch. */
  readonly at: number
  /** V8's used heap when the capture was taken (just after a major GC where it could be). */
  readonly heapUsed: number
  /** Whether a natural major GC ran just before it. */
  readonly afterGc: boolean
  /** Interned stack ids and, per stack, [objects, bytes] at 2i, 2i+1. */
  readonly stackIds: Uint32Array
  readonly values: Float64Array
}

/** What a capture reads from the heap sampler, before interning. */
export interface RawCapture {
  readonly at: number
  readonly heapUsed: number
  readonly afterGc: boolean
  readonly frames: FrameTable
  readonly stacks: StackSet
}

/**
 * The leak watch's bounded ring of heap captures. Frames and stacks are
 * interned once for the whole ring (a leak's stacks recur in every capture),
 * so a capture costs 20 bytes per stack it holds; a stack no capture holds any
 * more is dropped. Memory: the interned stacks of the captures held, plus
 * 20 bytes per stack per capture, plus the frames (bounded by the program's
 * functions; rebuilt when most are unused).
 */
export class CaptureRing {
  readonly #capacity: number
  readonly #captures: Capture[] = []
  #frames = new FrameTable()
  #stackIds = new Map<string, number>()
  #stackFrames: Array<Uint32Array | undefined> = []
  #stackRefs: number[] = []
  #freeIds: number[] = []

  constructor (capacity: number) {
    this.#capacity = capacity
  }

  get captures (): readonly Capture[] {
    return this.#captures
  }

  get capacity (): number {
    return this.#capacity
  }

  /** Fold captures into this table: their frame ids are then the ring's own, with no mapping. */
  get frames (): FrameTable {
    return this.#frames
  }

  /** Interns a capture and drops the oldest past the capacity. */
  add (raw: RawCapture): Capture {
    const own = raw.frames === this.#frames
    const mapped = new Map<number, number>()
    const ringId = (id: number): number => {
      if (own) return id
      let mine = mapped.get(id)
      if (mine === undefined) {
        mine = this.#frames.id(raw.frames.get(id))
        mapped.set(id, mine)
      }
      return mine
    }
    const ids: number[] = []
    const values: number[] = []
    for (const record of raw.stacks.values()) {
      const objects = record.values[0] ?? 0
      const bytes = record.values[1] ?? 0
      if (objects === 0 && bytes === 0) continue
      ids.push(this.#intern(Uint32Array.from(record.frameIds, ringId)))
      values.push(objects, bytes)
    }
    const capture: Capture = { at: raw.at, heapUsed: raw.heapUsed, afterGc: raw.afterGc, stackIds: Uint32Array.from(ids), values: Float64Array.from(values) }
    this.#captures.push(capture)
    while (this.#captures.length > this.#capacity) this.#release(this.#captures.shift() as Capture)
    if (this.#frames.frames.length > 4096 && this.#frames.frames.length > 2 * this.#liveFrames()) this.#compact()
    return capture
  }

  /** The capture taken nearest to `at` (ms since the epoch). */
  nearest (at: number): Capture | undefined {
    let best: Capture | undefined
    for (const c of this.#captures) if (best === undefined || Math.abs(c.at - at) < Math.abs(best.at - at)) best = c
    return best
  }

  /** The frames of a stack, leaf first. */
  stackFrames (stackId: number): readonly Frame[] {
    const ids = this.#stackFrames[stackId]
    if (ids === undefined) throw new RangeError(`no stack ${stackId}`)
    return Array.from(ids, (id) => this.#frames.get(id))
  }

  /** A capture as stacks of [objects, bytes] over a FrameTable of the caller's (a profile's own, so source maps never rewrite the ring's). */
  toStacks (capture: Capture, frames: FrameTable): StackSet {
    const stacks = new StackSet()
    for (let i = 0; i < capture.stackIds.length; i++) {
      const ids = this.#stackFrames[capture.stackIds[i] as number] as Uint32Array
      stacks.add(Array.from(ids, (id) => frames.id(this.#frames.get(id))), [capture.values[2 * i] as number, capture.values[2 * i + 1] as number])
    }
    return stacks
  }

  /** Interned stacks, frames and the bytes the ring holds (typed arrays exactly, the rest estimated). */
  get footprint (): { captures: number, stacks: number, frames: number, bytes: number } {
    let bytes = 0
    for (const c of this.#captures) bytes += c.stackIds.byteLength + c.values.byteLength + 64
    for (const ids of this.#stackFrames) if (ids !== undefined) bytes += ids.byteLength + 48 + ids.length * 8 + 24
    for (const f of this.#frames.frames) bytes += 96 + 2 * (f.name.length + f.file.length)
    return { captures: this.#captures.length, stacks: this.#stackIds.size, frames: this.#frames.frames.length, bytes }
  }

  #intern (frames: Uint32Array): number {
    const key = frames.join(',')
    let id = this.#stackIds.get(key)
    if (id === undefined) {
      id = this.#freeIds.pop() ?? this.#stackFrames.length
      this.#stackIds.set(key, id)
      this.#stackFrames[id] = frames
      this.#stackRefs[id] = 0
    }
    this.#stackRefs[id] = (this.#stackRefs[id] ?? 0) + 1
    return id
  }

  #release (capture: Capture): void {
    for (const id of capture.stackIds) {
      const refs = (this.#stackRefs[id] ?? 1) - 1
      this.#stackRefs[id] = refs
      if (refs > 0) continue
      const frames = this.#stackFrames[id] as Uint32Array
      this.#stackIds.delete(frames.join(','))
      this.#stackFrames[id] = undefined
      this.#freeIds.push(id)
    }
  }

  #liveFrames (): number {
    const live = new Set<number>()
    for (const ids of this.#stackFrames) if (ids !== undefined) for (const id of ids) live.add(id)
    return live.size
  }

  /** Rebuilds the frame table with only the frames live stacks use (code that ran once, eval'd scripts). */
  #compact (): void {
    const frames = new FrameTable()
    const stackIds = new Map<string, number>()
    for (const [id, ids] of this.#stackFrames.entries()) {
      if (ids === undefined) continue
      const renumbered = Uint32Array.from(ids, (f) => frames.id(this.#frames.get(f)))
      this.#stackFrames[id] = renumbered
      stackIds.set(renumbered.join(','), id)
    }
    this.#frames = frames
    this.#stackIds = stackIds
  }
}
