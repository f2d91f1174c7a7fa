import { relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * How a collection was reached, as a chain of names from a root: kept while
 * the census runs (one small node per object queued), rendered only for the
 * collections it reports. Holds names, never the objects.
 */
export interface PathNode {
  readonly parent: PathNode | undefined
  readonly name: string
  /** Set on a module's root: the file whose scope or exports hold what follows. */
  readonly file?: string
  readonly depth: number
}

export function root (name: string, file?: string): PathNode {
  return file === undefined ? { parent: undefined, name, depth: 0 } : { parent: undefined, name, file, depth: 0 }
}

export function child (parent: PathNode, name: string): PathNode {
  return { parent, name, depth: parent.depth + 1 }
}

/** A module scope starts a new path (`module <file>`), found at the depth it was reached. */
export function moduleRoot (parent: PathNode, file: string): PathNode {
  return { parent: undefined, name: `module ${file}`, file, depth: parent.depth + 1 }
}

const MAX_SEGMENTS = 24

export function render (node: PathNode): { path: string, file: string | undefined } {
  const names: string[] = []
  let file: string | undefined
  for (let n: PathNode | undefined = node; n !== undefined; n = n.parent) {
    names.push(n.name)
    if (file === undefined && n.file !== undefined) file = n.file
  }
  names.reverse()
  const shown = names.length > MAX_SEGMENTS ? [...names.slice(0, 2), '…', ...names.slice(-(MAX_SEGMENTS - 3))] : names
  return { path: shown.join(' › '), file }
}

/** A property name as a path segment: symbols by their description, long names cut. */
export function keyName (key: string | symbol): string {
  const name = typeof key === 'symbol' ? `[${key.description ?? 'symbol'}]` : key
  return name.length > 64 ? name.slice(0, 61) + '…' : name
}

/** A script URL or path as a reader knows it: from node_modules/ on for a dependency, else relative to the working directory. */
export function displayFile (url: string): string {
  let path = url
  if (url.startsWith('file://')) {
    try {
      path = fileURLToPath(url)
    } catch {
      return url
    }
  }
  const nm = path.lastIndexOf(`${sep}node_modules${sep}`)
  if (nm >= 0) return path.slice(nm + 1)
  if (!path.startsWith(sep)) return path
  const rel = relative(process.cwd(), path)
  return rel.startsWith('..') ? path : rel
}
