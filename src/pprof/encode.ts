import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import type { Profile } from 'pprof-format'

const gzipAsync = promisify(gzip)
// Go's runtime/pprof uses gzip.BestSpeed too: profiles are read once, soon.
const LEVEL = 1

/**
 * Serialises in sections that yield between them (pprof-format's
 * encodeAsync), then gzips on libuv's thread pool: Go clients sniff the
 * gzip magic, so no Content-Encoding header is involved.
 */
export async function encodeProfile (profile: Profile): Promise<Buffer> {
  const raw = await profile.encodeAsync()
  return await gzipAsync(raw, { level: LEVEL })
}
