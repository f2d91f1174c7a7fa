import { createHash, timingSafeEqual } from 'node:crypto'

function digest (text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

/**
 * Compares both fields in constant time, always both, whatever their
 * lengths: hashing first gives equal-length inputs to timingSafeEqual.
 */
export function credentialsMatch (expected: { username: string, password: string }, username: string, password: string): boolean {
  const userOk = timingSafeEqual(digest(username), digest(expected.username))
  const passOk = timingSafeEqual(digest(password), digest(expected.password))
  return userOk && passOk
}

/** The user name of a Basic Authorization header, for audit lines only. */
export function basicUser (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^basic +([A-Za-z0-9+/]+=*) *$/i.exec(header)
  if (match === null) return undefined
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? undefined : decoded.slice(0, colon)
}
