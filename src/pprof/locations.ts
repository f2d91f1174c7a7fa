import { frameAddresses } from './address.js'
import { displayName, type FrameTable } from './frames.js'
import { ProtoWriter } from './proto-writer.js'
import type { StringIds } from './strings.js'

/**
 * The Location and Function messages of one profile, written as frames are
 * first met: ids sequential from 1 in order of appearance, line info on every
 * location, and a stable, distinct, nonzero address per location.
 */
export class LocationTable {
  readonly locations = new ProtoWriter(256 * 1024)
  readonly functions = new ProtoWriter(128 * 1024)
  readonly #frames: FrameTable
  readonly #strings: StringIds
  // Frame ids are dense from 0 and the table is complete by now: a typed
  // array beats a Map (one lookup per frame of every stack). 0 = not yet.
  readonly #locationOfFrame: Int32Array
  #locationCount = 0
  // file -> name -> id of the function at the first start line seen; another
  // start line of the same name (same-named methods in one file) goes under
  // `name\0line`. No key string in the common case.
  readonly #functionIds = new Map<string, Map<string, number>>()
  readonly #functionLines: number[] = []
  readonly #usedAddresses = new Set<number>()
  readonly #addressOf = frameAddresses()

  constructor (frames: FrameTable, strings: StringIds) {
    this.#frames = frames
    this.#strings = strings
    this.#locationOfFrame = new Int32Array(frames.frames.length)
  }

  /** The location id of a frame, written on first sight. */
  locationId (frameId: number): number {
    const known = this.#locationOfFrame[frameId] ?? 0
    if (known !== 0) return known
    const frame = this.#frames.get(frameId)
    const name = displayName(frame)
    let address = this.#addressOf(frame)
    // A hash collision inside one profile would merge two frames: probe on.
    while (this.#usedAddresses.has(address)) address += 16
    this.#usedAddresses.add(address)
    const fn = this.#functionId(name, frame.file, frame.functionLine)
    const id = ++this.#locationCount
    const w = this.locations
    const at = w.begin(4)
    w.uint(1, id)
    w.uint(2, 1) // mapping_id
    w.uint(3, address)
    const line = w.begin(4)
    w.uint(1, fn)
    w.uint(2, frame.line)
    w.uint(3, frame.column)
    w.end(line)
    w.end(at)
    this.#locationOfFrame[frameId] = id
    return id
  }

  #functionId (name: string, file: string, startLine: number): number {
    let byName = this.#functionIds.get(file)
    if (byName === undefined) {
      byName = new Map()
      this.#functionIds.set(file, byName)
    }
    const first = byName.get(name)
    if (first !== undefined && this.#functionLines[first - 1] === startLine) return first
    const key = first === undefined ? name : `${name}\0${startLine}`
    let id = first === undefined ? undefined : byName.get(key)
    if (id === undefined) {
      this.#functionLines.push(startLine)
      id = this.#functionLines.length
      // No system_name: a copy of the name costs bytes and JS has no mangling.
      const w = this.functions
      const at = w.begin(5)
      w.uint(1, id)
      w.uint(2, this.#strings.id(name))
      w.uint(4, this.#strings.id(file))
      w.uint(5, startLine)
      w.end(at)
      byName.set(key, id)
    }
    return id
  }
}
