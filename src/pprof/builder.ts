import type { Slicer } from '../cooperative.js'
import { frameAddresses } from './address.js'
import type { FrameTable, StackRecord } from './frames.js'
import { ProtoWriter } from './proto-writer.js'

/** Sample types, period and default, in Go's vocabulary. */
export interface ProfileShape {
  readonly sampleTypes: ReadonlyArray<readonly [type: string, unit: string]>
  readonly periodType: readonly [type: string, unit: string]
  readonly period: number
  readonly defaultSampleType?: string
}

export interface ProfileMeta {
  readonly timeNanos: number
  readonly durationNanos?: number
  readonly comments?: readonly string[]
}

/**
 * Writes stacks as a profile.proto that go tool pprof, Parca and Alloy accept
 * without symbolization: one mapping with every has_* flag set, line info on
 * every location, ids sequential from 1 in order of appearance, and a
 * stable, distinct, nonzero address per location. Field order follows Go's
 * encoder (and pprof-format's), so the bytes are what those would write.
 * Returns the uncompressed bytes.
 */
export async function buildProfile (
  shape: ProfileShape,
  frames: FrameTable,
  stacks: Iterable<StackRecord>,
  meta: ProfileMeta,
  slicer: Slicer
): Promise<Buffer> {
  const strings = new StringIds()
  const head = new ProtoWriter()
  const locations = new ProtoWriter(256 * 1024)
  const functions = new ProtoWriter(128 * 1024)
  // Frame ids are dense from 0 and the table is complete by now: a typed
  // array beats a Map (one lookup per frame of every stack). 0 = not yet.
  const locationOfFrame = new Int32Array(frames.frames.length)
  let locationCount = 0
  // file -> name -> id of the function at the first start line seen; another
  // start line of the same name (same-named methods in one file) goes under
  // `name\0line`. No key string in the common case.
  const functionIds = new Map<string, Map<string, number>>()
  const functionLines: number[] = []
  const usedAddresses = new Set<number>()
  const addressOf = frameAddresses()

  const functionId = (name: string, file: string, startLine: number): number => {
    let byName = functionIds.get(file)
    if (byName === undefined) {
      byName = new Map()
      functionIds.set(file, byName)
    }
    const first = byName.get(name)
    if (first !== undefined && functionLines[first - 1] === startLine) return first
    const key = first === undefined ? name : `${name}\0${startLine}`
    let id = first === undefined ? undefined : byName.get(key)
    if (id === undefined) {
      functionLines.push(startLine)
      id = functionLines.length
      // No system_name: a copy of the name costs bytes and JS has no mangling.
      const at = functions.begin(5)
      functions.uint(1, id)
      functions.uint(2, strings.id(name))
      functions.uint(4, strings.id(file))
      functions.uint(5, startLine)
      functions.end(at)
      byName.set(key, id)
    }
    return id
  }

  const locationId = (frameId: number): number => {
    const known = locationOfFrame[frameId] ?? 0
    if (known !== 0) return known
    const frame = frames.get(frameId)
    const name = frame.name === '' ? '(anonymous)' : frame.name
    let address = addressOf(frame)
    // A hash collision inside one profile would merge two frames: probe on.
    while (usedAddresses.has(address)) address += 16
    usedAddresses.add(address)
    const fn = functionId(name, frame.file, frame.functionLine)
    const id = ++locationCount
    const at = locations.begin(4)
    locations.uint(1, id)
    locations.uint(2, 1) // mapping_id
    locations.uint(3, address)
    const line = locations.begin(4)
    locations.uint(1, fn)
    locations.uint(2, frame.line)
    locations.uint(3, frame.column)
    locations.end(line)
    locations.end(at)
    locationOfFrame[frameId] = id
    return id
  }

  for (const [type, unit] of shape.sampleTypes) {
    const at = head.begin(1)
    head.uint(1, strings.id(type))
    head.uint(2, strings.id(unit))
    head.end(at)
  }
  const ids: number[] = []
  for (const record of stacks) {
    ids.length = record.frameIds.length
    for (let i = 0; i < ids.length; i++) ids[i] = locationId(record.frameIds[i] as number)
    const at = head.begin(2)
    head.packed(1, ids)
    head.packed(2, record.values)
    head.end(at)
    if (slicer.due()) await slicer.yield()
  }
  const mapping = head.begin(3)
  head.uint(1, 1)
  head.uint(5, strings.id('node'))
  head.bool(7, true) // has_functions
  head.bool(8, true) // has_filenames
  head.bool(9, true) // has_line_numbers
  head.end(mapping)

  const tail = new ProtoWriter()
  const periodType = strings.id(shape.periodType[0])
  const periodUnit = strings.id(shape.periodType[1])
  const comments = (meta.comments ?? []).map((c) => strings.id(c))
  const defaultSampleType = shape.defaultSampleType === undefined ? 0 : strings.id(shape.defaultSampleType)
  for (const s of strings.all) {
    tail.string(6, s)
    if (slicer.due()) await slicer.yield()
  }
  tail.uint(9, meta.timeNanos)
  tail.uint(10, meta.durationNanos ?? 0)
  const at = tail.begin(11)
  tail.uint(1, periodType)
  tail.uint(2, periodUnit)
  tail.end(at)
  tail.uint(12, shape.period)
  tail.packed(13, comments)
  tail.uint(14, defaultSampleType)
  return Buffer.concat([head.bytes(), locations.bytes(), functions.bytes(), tail.bytes()])
}

/** The string table: index 0 is "", as profile.proto requires. */
class StringIds {
  readonly all: string[] = ['']
  readonly #ids = new Map<string, number>([['', 0]])

  id (s: string): number {
    let id = this.#ids.get(s)
    if (id === undefined) {
      id = this.all.length
      this.all.push(s)
      this.#ids.set(s, id)
    }
    return id
  }
}
