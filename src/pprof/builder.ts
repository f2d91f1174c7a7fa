import type { Slicer } from '../cooperative.js'
import type { FrameTable, StackRecord } from './frames.js'
import { LocationTable } from './locations.js'
import { ProtoWriter } from './proto-writer.js'
import { StringIds } from './strings.js'

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
 * without symbolization: one mapping with every has_* flag set, and the
 * locations and functions of LocationTable. Field order follows Go's encoder
 * (and pprof-format's), so the bytes are what those would write. Returns the
 * uncompressed bytes.
 */
export async function buildProfile (
  shape: ProfileShape,
  frames: FrameTable,
  stacks: Iterable<StackRecord>,
  meta: ProfileMeta,
  slicer: Slicer
): Promise<Buffer> {
  const strings = new StringIds()
  const table = new LocationTable(frames, strings)
  const head = new ProtoWriter()
  for (const [type, unit] of shape.sampleTypes) {
    const at = head.begin(1)
    head.uint(1, strings.id(type))
    head.uint(2, strings.id(unit))
    head.end(at)
  }
  const ids: number[] = []
  for (const record of stacks) {
    ids.length = record.frameIds.length
    for (let i = 0; i < ids.length; i++) ids[i] = table.locationId(record.frameIds[i] as number)
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
  const tail = await writeTail(shape, meta, strings, slicer)
  return Buffer.concat([head.bytes(), table.locations.bytes(), table.functions.bytes(), tail.bytes()])
}

/** The string table and the scalar fields, which follow the messages in Go's order. */
async function writeTail (shape: ProfileShape, meta: ProfileMeta, strings: StringIds, slicer: Slicer): Promise<ProtoWriter> {
  const tail = new ProtoWriter()
  // Every string must be in the table before the table is written.
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
  return tail
}
