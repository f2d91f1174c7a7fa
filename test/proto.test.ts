import { Profile, Sample } from 'pprof-format'
import { describe, expect, it } from 'vitest'
import { Slicer } from '../src/cooperative.js'
import { buildProfile } from '../src/pprof/builder.js'
import { FrameTable, StackSet } from '../src/pprof/frames.js'
import { ProtoWriter } from '../src/pprof/proto-writer.js'
import { heapShape } from '../src/pprof/shapes.js'

// Our profile.proto writer is checked against pprof-format, the decoder the
// page and the other tests use: what it decodes must be what we wrote, and
// pprof-format re-encoding the decoded profile must give back our bytes.

const asInt64 = (v: number | bigint): bigint => BigInt.asIntN(64, BigInt(v))

describe('the protobuf writer', () => {
  const edges = [
    0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35 + 7,
    0xffff_ffff_ffff * 16, Number.MAX_SAFE_INTEGER,
    -1, -2, -127, -128, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 32), -(2 ** 32) - 1, -(2 ** 40) - 3, Number.MIN_SAFE_INTEGER
  ]

  it('writes int64 varints that decode to the same values, negatives as two\'s complement', () => {
    const w = new ProtoWriter(16) // small on purpose: the buffer must grow
    w.packed(2, edges)
    const decoded = Sample.decode(w.bytes())
    expect(decoded.value.map(asInt64)).toEqual(edges.map((v) => BigInt(v)))
  })

  it('writes negative values in ten bytes, as Go does', () => {
    const w = new ProtoWriter()
    w.packed(2, [-1])
    // tag, length 10, then 0xff x 9 and 0x01
    expect([...w.bytes()]).toEqual([0x12, 10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
  })

  it('moves a nested message up when its length needs more than one byte', () => {
    // Around each varint length boundary of the message and of its packed field.
    for (const count of [1, 120, 125, 126, 127, 128, 200, 253, 254, 255, 256, 16_380, 16_384, 40_000]) {
      const ids = Array.from({ length: count }, (_, i) => (i % 127) + 1)
      const w = new ProtoWriter(8)
      const at = w.begin(2)
      w.packed(1, ids)
      w.packed(2, [5, -5])
      w.end(at)
      const profile = Profile.decode(w.bytes())
      expect(profile.sample).toHaveLength(1)
      expect(profile.sample[0]?.locationId.map(Number)).toEqual(ids)
      expect(profile.sample[0]?.value.map(asInt64)).toEqual([5n, -5n])
    }
  })

  it('writes strings as UTF-8, empty and long ones too', () => {
    const strings = ['', 'inuse_space', 'naïve 🔥 名前', 'x'.repeat(200), '\u0000nul']
    const w = new ProtoWriter(4)
    for (const s of strings) w.string(6, s)
    expect(Profile.decode(w.bytes()).stringTable.strings).toEqual(strings)
  })

  it('skips zero scalars and false bools (proto3 defaults)', () => {
    const w = new ProtoWriter()
    w.uint(9, 0)
    w.bool(7, false)
    w.packed(13, [])
    expect(w.length).toBe(0)
  })
})

describe('buildProfile', () => {
  async function build (): Promise<{ raw: Buffer, profile: Profile }> {
    const frames = new FrameTable()
    const leaf = frames.id({ name: 'leak', file: '/app/leak.js', line: 12, column: 3, functionLine: 12 })
    const other = frames.id({ name: 'leak', file: '/app/leak.js', line: 40, column: 1, functionLine: 40 }) // same name, other function
    const caller = frames.id({ name: 'handler', file: '/app/server.js', line: 7, column: 5, functionLine: 7 })
    const callerElsewhere = frames.id({ name: 'handler', file: '/app/server.js', line: 9, column: 0, functionLine: 7 }) // same function, another line
    const anonymous = frames.id({ name: '', file: '/app/server.js', line: 2, column: 1, functionLine: 2 })
    const stacks = new StackSet()
    stacks.add([leaf, caller, anonymous], [3, 3 * 1024])
    stacks.add([other, callerElsewhere, anonymous], [-2, -(2 ** 40)])
    stacks.add([leaf, caller, anonymous], [1, 512]) // adds up with the first
    const raw = await buildProfile(heapShape(512 * 1024), frames, stacks.values(), {
      timeNanos: 1_764_000_000_123_000_000,
      durationNanos: 30e9,
      comments: ['first comment', 'second']
    }, new Slicer())
    return { raw, profile: Profile.decode(raw) }
  }

  it('writes what pprof-format reads back, field by field', async () => {
    const { profile } = await build()
    const s = (i: number | bigint): string | undefined => profile.stringTable.strings[Number(i)]
    expect(s(0)).toBe('')
    expect(profile.sampleType.map((t) => `${s(t.type)}/${s(t.unit)}`)).toEqual(['inuse_objects/count', 'inuse_space/bytes'])
    expect(s(profile.defaultSampleType)).toBe('inuse_space')
    expect(`${s(profile.periodType?.type ?? 0)}/${s(profile.periodType?.unit ?? 0)}`).toBe('space/bytes')
    expect(Number(profile.period)).toBe(512 * 1024)
    expect(Number(profile.durationNanos)).toBe(30e9)
    // Beyond 2^53 the value is what the double holds, as with any JS encoder.
    expect(Number(profile.timeNanos)).toBe(1_764_000_000_123_000_000)
    expect(profile.comment.map(s)).toEqual(['first comment', 'second'])
    expect(profile.mapping).toHaveLength(1)
    expect(profile.mapping[0]).toMatchObject({ hasFunctions: true, hasFilenames: true, hasLineNumbers: true })
    expect(s(profile.mapping[0]?.filename ?? 0)).toBe('node')

    // Ids from 1 in order; one line per location; distinct nonzero addresses.
    expect(profile.location.map((l) => Number(l.id))).toEqual([1, 2, 3, 4, 5])
    expect(profile.location.every((l) => l.line.length === 1 && Number(l.mappingId) === 1)).toBe(true)
    expect(new Set(profile.location.map((l) => Number(l.address))).size).toBe(5)
    expect(profile.location.every((l) => Number(l.address) > 0)).toBe(true)
    expect(profile.function.map((f) => Number(f.id))).toEqual([1, 2, 3, 4])

    const fn = new Map(profile.function.map((f) => [Number(f.id), `${s(f.name)}@${s(f.filename)}:${Number(f.startLine)}`]))
    const where = (id: number | bigint): string => {
      const loc = profile.location.find((l) => Number(l.id) === Number(id))
      const line = loc?.line[0]
      return `${fn.get(Number(line?.functionId))} line ${Number(line?.line)} col ${Number(line?.column)}`
    }
    const stacks = profile.sample.map((sample) => ({ frames: sample.locationId.map(where), values: sample.value.map(asInt64) }))
    expect(stacks).toEqual([
      {
        frames: ['leak@/app/leak.js:12 line 12 col 3', 'handler@/app/server.js:7 line 7 col 5', '(anonymous)@/app/server.js:2 line 2 col 1'],
        values: [3n + 1n, 3n * 1024n + 512n]
      },
      {
        frames: ['leak@/app/leak.js:40 line 40 col 1', 'handler@/app/server.js:7 line 9 col 0', '(anonymous)@/app/server.js:2 line 2 col 1'],
        values: [-2n, -(2n ** 40n)]
      }
    ])
  })

  it('writes the bytes pprof-format writes for the same profile', async () => {
    const { raw, profile } = await build()
    expect(Buffer.from(profile.encode())).toEqual(raw)
  })
})
