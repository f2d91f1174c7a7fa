// gzipped profile.proto → a plain model the rest of the page works on.
import { Profile } from './pprof-format.js'

/**
 * @typedef {{ key: string, fn: string, name: string, file: string, line: number }} Frame
 *   key: one place in the code (function and line); fn: the function (name, file, first line).
 * @typedef {{ stack: Frame[], values: number[] }} Sample   stack is leaf first
 * @typedef {{
 *   sampleTypes: Array<{ type: string, unit: string }>,
 *   defaultIndex: number,
 *   samples: Sample[],
 *   timeNanos: number,
 *   durationNanos: number,
 *   percentOf?: number[]
 * }} Model
 */

export async function gunzip (bytes) {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

/** pprof-format decodes int64 as unsigned: restore the sign. */
export function int64 (v) {
  return Number(BigInt.asIntN(64, BigInt(v)))
}

/** @returns {Promise<Model>} */
export async function decodeProfile (gz) {
  const p = Profile.decode(await gunzip(gz))
  const strings = p.stringTable.strings
  const str = (i) => strings[Number(i)] ?? ''
  const functions = new Map(p.function.map((f) => [Number(f.id), f]))

  // One frame per line of a location; a location's lines are innermost first.
  const framesOf = new Map()
  for (const loc of p.location) {
    const frames = loc.line.map((ln) => {
      const f = functions.get(Number(ln.functionId))
      const name = f === undefined ? `0x${Number(loc.address).toString(16)}` : str(f.name)
      const file = f === undefined ? '' : str(f.filename)
      const start = f === undefined ? 0 : Number(f.startLine)
      const fn = `${name}\u0000${file}\u0000${start}`
      return { key: `${fn}\u0000${Number(ln.line)}`, fn, name, file, line: start || Number(ln.line) }
    })
    if (frames.length === 0) {
      const name = `0x${Number(loc.address).toString(16)}`
      frames.push({ key: name, fn: name, name, file: '', line: 0 })
    }
    framesOf.set(Number(loc.id), frames)
  }

  const sampleTypes = p.sampleType.map((t) => ({ type: str(t.type), unit: str(t.unit) }))
  const wanted = str(p.defaultSampleType)
  const found = sampleTypes.findIndex((t) => t.type === wanted)
  return {
    sampleTypes,
    // Like pprof: the named default, else the last type.
    defaultIndex: wanted !== '' && found !== -1 ? found : sampleTypes.length - 1,
    samples: p.sample.map((s) => ({
      stack: s.locationId.flatMap((id) => framesOf.get(Number(id)) ?? []),
      values: s.value.map(int64)
    })),
    timeNanos: int64(p.timeNanos ?? 0),
    durationNanos: int64(p.durationNanos ?? 0)
  }
}
