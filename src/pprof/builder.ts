import { Function as PFunction, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format'
import type { Slicer } from '../cooperative.js'
import { frameAddress } from './address.js'
import type { FrameTable, StackRecord } from './frames.js'

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

/** Called for each location written, e.g. to fill the /symbol table. */
export type LocationSink = (address: number, name: string) => void

/**
 * Turns stacks into a pprof-format Profile that go tool pprof, Parca and
 * Alloy accept without symbolization: one mapping with every has_* flag set,
 * line info on every location, ids sequential from 1 in array order, and a
 * stable, distinct, nonzero address per location.
 */
export async function buildProfile (
  shape: ProfileShape,
  frames: FrameTable,
  stacks: Iterable<StackRecord>,
  meta: ProfileMeta,
  slicer: Slicer,
  sink?: LocationSink
): Promise<Profile> {
  const strings = new StringTable()
  const locationOfFrame = new Map<number, number>()
  // file -> name -> start line -> id: no key string per location.
  const functionIds = new Map<string, Map<string, Map<number, number>>>()
  const usedAddresses = new Set<number>()
  const locations: Location[] = []
  const functions: PFunction[] = []
  const samples: Sample[] = []

  const functionId = (name: string, file: string, startLine: number): number => {
    let byName = functionIds.get(file)
    if (byName === undefined) {
      byName = new Map()
      functionIds.set(file, byName)
    }
    let byLine = byName.get(name)
    if (byLine === undefined) {
      byLine = new Map()
      byName.set(name, byLine)
    }
    let id = byLine.get(startLine)
    if (id === undefined) {
      id = functions.length + 1
      // No system_name: a copy of the name costs bytes and JS has no mangling.
      functions.push(new PFunction({ id, name: strings.dedup(name), filename: strings.dedup(file), startLine }))
      byLine.set(startLine, id)
    }
    return id
  }

  const locationId = (frameId: number): number => {
    let id = locationOfFrame.get(frameId)
    if (id !== undefined) return id
    const frame = frames.get(frameId)
    const name = frame.name === '' ? '(anonymous)' : frame.name
    let address = frameAddress(frame)
    // A hash collision inside one profile would merge two frames: probe on.
    while (usedAddresses.has(address)) address += 16
    usedAddresses.add(address)
    id = locations.length + 1
    locations.push(new Location({
      id,
      mappingId: 1,
      address,
      line: [new Line({ functionId: functionId(name, frame.file, frame.functionLine), line: frame.line, column: frame.column })]
    }))
    locationOfFrame.set(frameId, id)
    sink?.(address, name)
    return id
  }

  for (const record of stacks) {
    samples.push(new Sample({ locationId: record.frameIds.map(locationId), value: record.values }))
    if (slicer.due()) await slicer.yield()
  }

  const sampleType = shape.sampleTypes.map(([type, unit]) => new ValueType({ type: strings.dedup(type), unit: strings.dedup(unit) }))
  return new Profile({
    sampleType,
    sample: samples,
    mapping: [new Mapping({
      id: 1,
      filename: strings.dedup('node'),
      hasFunctions: true,
      hasFilenames: true,
      hasLineNumbers: true
    })],
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: meta.timeNanos,
    durationNanos: meta.durationNanos ?? 0,
    periodType: new ValueType({ type: strings.dedup(shape.periodType[0]), unit: strings.dedup(shape.periodType[1]) }),
    period: shape.period,
    comment: (meta.comments ?? []).map((c) => strings.dedup(c)),
    defaultSampleType: shape.defaultSampleType === undefined ? 0 : strings.dedup(shape.defaultSampleType)
  })
}
