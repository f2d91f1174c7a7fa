// Finding the source map of a generated file: its sourceMappingURL comment, inline or beside it.
import { open } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'

// tsc and esbuild write `//# `; `//@ ` is the old form some tools still emit.
const COMMENT = /\/\/[#@][ \t]*sourceMappingURL=[ \t]*(\S+)[ \t]*$/

/**
 * Reads up to maxBytes of a file, or only its last `tail` bytes; undefined when
 * the file is missing, unreadable or too big.
 */
export async function readText (path: string, maxBytes: number, tail = Infinity): Promise<{ text: string, whole: boolean } | undefined> {
  let handle
  try {
    handle = await open(path, 'r')
    const { size } = await handle.stat()
    if (size > maxBytes) return undefined
    const length = Math.min(size, tail)
    const buffer = Buffer.alloc(length)
    let read = 0
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, size - length + read)
      if (bytesRead === 0) break
      read += bytesRead
    }
    return { text: buffer.toString('utf8', 0, read), whole: length === size }
  } catch {
    return undefined
  } finally {
    await handle?.close().catch(() => {})
  }
}

/** The last `sourceMappingURL` comment of a text, or undefined. */
export function findMapComment (text: string): string | undefined {
  let end = text.length
  while (end > 0) {
    const at = text.lastIndexOf('sourceMappingURL=', end - 1)
    if (at === -1) return undefined
    const lineStart = text.lastIndexOf('\n', at) + 1
    let lineEnd = text.indexOf('\n', at)
    if (lineEnd === -1) lineEnd = text.length
    const match = COMMENT.exec(text.slice(Math.max(lineStart, at - 16), lineEnd).replace(/\r$/, ''))
    if (match?.[1] !== undefined) return match[1]
    end = at
  }
  return undefined
}

/** The JSON inside a `data:` URL (base64 or percent-encoded), or undefined. */
export function decodeDataUrl (url: string): string | undefined {
  const comma = url.indexOf(',')
  if (comma === -1) return undefined
  const meta = url.slice('data:'.length, comma).toLowerCase()
  const body = url.slice(comma + 1)
  if (meta !== '' && !meta.includes('json')) return undefined
  return meta.split(';').includes('base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body)
}

/** Where the comment's URL points, as a path: relative to the generated file, absolute, or file://. */
export function mapPathOf (url: string, generatedFile: string): string | undefined {
  // http:, webpack: and friends are nothing we can read.
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('file:')) return undefined
  const target = new URL(url, pathToFileURL(generatedFile))
  return target.protocol === 'file:' ? fileURLToPath(target) : undefined
}
