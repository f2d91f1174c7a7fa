import type { Frame } from '../pprof/frames.js'

/**
 * Whose code a frame is. The words are fixed: tools outside the project read them.
 * - `app`: the application's own files.
 * - `dependency`: a file under a `node_modules` directory (`package` names it).
 * - `node`: Node's own JavaScript (`node:` files: `node:_http_common` is the HTTP parser's).
 * - `native`: a frame with no file: `(V8 API)` (memory Node's C++ allocates outside JavaScript, such as the
 *   header and URL strings of its HTTP parser), `(program)`, V8's builtins.
 */
export type Origin = 'app' | 'dependency' | 'node' | 'native'

export interface FrameOrigin {
  readonly origin: Origin
  /** The package of a dependency (`@scope/name` for scoped ones), from its last `node_modules` segment; null otherwise. */
  readonly package: string | null
}

const NATIVE: FrameOrigin = Object.freeze({ origin: 'native', package: null })
const NODE: FrameOrigin = Object.freeze({ origin: 'node', package: null })
const APP: FrameOrigin = Object.freeze({ origin: 'app', package: null })

/** The origin of a frame's file (a path, `node:…`, or '' for frames with no script). */
export function originOf (file: string): FrameOrigin {
  if (file === '') return NATIVE
  if (file.startsWith('node:')) return NODE
  const segments = file.split(/[\\/]/)
  const at = segments.lastIndexOf('node_modules')
  if (at < 0) return APP
  // pnpm's node_modules/.pnpm/<name>@<version>/node_modules/<name>/…: the last node_modules names the package.
  // A file directly in node_modules (or a scope folder) has no package of its own.
  const scoped = (segments[at + 1] ?? '').startsWith('@')
  const last = at + (scoped ? 2 : 1)
  const name = last < segments.length - 1 ? segments.slice(at + 1, last + 1).join('/') : ''
  return { origin: 'dependency', package: name === '' ? null : name }
}

export function isAppFrame (frame: Frame): boolean {
  return originOf(frame.file).origin === 'app'
}
