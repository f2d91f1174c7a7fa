import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import type { Slicer } from '../cooperative.js'
import { buildProfile, type ProfileMeta, type ProfileShape } from './builder.js'
import type { FrameMapper, FrameTable, StackRecord } from './frames.js'

const gzipAsync = promisify(gzip)
// Go's runtime/pprof uses gzip.BestSpeed too: profiles are read once, soon.
const LEVEL = 1
// Output in chunks of this size: each chunk is a trip through the thread pool
// and the event loop, and a big profile has hundreds of the default 16 KiB.
const CHUNK = 128 * 1024

/**
 * Gzips a serialized profile on libuv's thread pool: Go clients sniff the
 * gzip magic, so no Content-Encoding header is involved.
 */
export async function gzipProfile (raw: Uint8Array): Promise<Buffer> {
  return await gzipAsync(raw, { level: LEVEL, chunkSize: CHUNK })
}

/**
 * The body of a profile response: frames mapped to their sources (when
 * source maps are on), written as profile.proto, gzipped.
 */
export async function encodeStacks (
  mapper: FrameMapper,
  shape: ProfileShape,
  frames: FrameTable,
  stacks: Iterable<StackRecord>,
  meta: ProfileMeta,
  slicer: Slicer
): Promise<Buffer> {
  await mapper.map(frames, slicer)
  return await gzipProfile(await buildProfile(shape, frames, stacks, meta, slicer))
}
