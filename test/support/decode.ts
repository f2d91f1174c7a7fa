import { Profile } from 'pprof-format'
import { gunzipSync } from 'node:zlib'

/** A decoded profile with the questions tests ask of it. */
export interface Decoded {
  readonly profile: Profile
  readonly strings: readonly string[]
  readonly sampleTypes: readonly string[]
  readonly defaultSampleType: string
  readonly periodType: string
  /** Flat value per leaf function name for a sample type. */
  flat (type: string): Map<string, number>
  /** Cumulative value per function name (counted once per sample). */
  cum (type: string): Map<string, number>
  /** Function names of a sample's stack, leaf first. */
  stackNames (sampleIndex: number): string[]
  total (type: string): number
}

/** pprof-format decodes int64 sample values as unsigned: restore the sign. */
export function int64 (v: number | bigint): number {
  return Number(BigInt.asIntN(64, BigInt(v)))
}

export function decodeProfile (gz: Buffer | Uint8Array): Decoded {
  const buf = Buffer.from(gz)
  if (buf[0] !== 0x1f || buf[1] !== 0x8b) throw new Error('profile is not gzipped')
  const profile = Profile.decode(gunzipSync(buf))
  const strings = profile.stringTable.strings
  const s = (i: number | bigint): string => strings[Number(i)] ?? `<bad string ${i}>`
  const fnName = new Map(profile.function.map((f) => [Number(f.id), s(f.name)]))
  const locNames = new Map(profile.location.map((l) => [Number(l.id), l.line.map((ln) => fnName.get(Number(ln.functionId)) ?? '?')]))
  const sampleTypes = profile.sampleType.map((t) => `${s(t.type)}/${s(t.unit)}`)
  const index = (type: string): number => {
    const i = profile.sampleType.findIndex((t) => s(t.type) === type)
    if (i === -1) throw new Error(`no sample type ${type} in ${sampleTypes.join(', ')}`)
    return i
  }
  const stackNames = (i: number): string[] => (profile.sample[i]?.locationId ?? []).flatMap((id) => locNames.get(Number(id)) ?? ['?'])
  return {
    profile,
    strings,
    sampleTypes,
    defaultSampleType: s(profile.defaultSampleType),
    periodType: profile.periodType === undefined ? '' : `${s(profile.periodType.type)}/${s(profile.periodType.unit)}`,
    stackNames,
    flat (type) {
      const k = index(type)
      const out = new Map<string, number>()
      profile.sample.forEach((sample, i) => {
        const leaf = stackNames(i)[0] ?? '?'
        out.set(leaf, (out.get(leaf) ?? 0) + int64(sample.value[k] ?? 0))
      })
      return out
    },
    cum (type) {
      const k = index(type)
      const out = new Map<string, number>()
      profile.sample.forEach((sample, i) => {
        for (const name of new Set(stackNames(i))) out.set(name, (out.get(name) ?? 0) + int64(sample.value[k] ?? 0))
      })
      return out
    },
    total (type) {
      const k = index(type)
      return profile.sample.reduce((sum, sample) => sum + int64(sample.value[k] ?? 0), 0)
    }
  }
}

/** Entries sorted by value, largest first. */
export function top (values: Map<string, number>): Array<[string, number]> {
  return [...values.entries()].sort((a, b) => b[1] - a[1])
}
