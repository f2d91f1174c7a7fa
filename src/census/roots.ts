import Module from 'node:module'
import { runInNewContext } from 'node:vm'
import { displayFile, root } from './path.js'
import { constructorName, dataValue, isWalkable, keysOf, prototypeOf } from './reflect.js'
import type { Root } from './walk.js'

/** What the census starts from, and what it never walks into. */
export interface CensusRoots {
  /** The registration's own Fastify scope: the root instance is found from it. */
  readonly scope: object
  /** The server Fastify listens with. */
  readonly server: object
  /** The plugin's own state: never counted as the app's. */
  readonly own: readonly object[]
}

// Node's own globals (beside the language's): walked from process and the handles instead.
const NODE_GLOBALS = new Set(['global', 'globalThis', 'process', 'Buffer', 'clearImmediate', 'clearInterval', 'clearTimeout',
  'setImmediate', 'setInterval', 'setTimeout', 'queueMicrotask', 'structuredClone', 'atob', 'btoa', 'performance', 'fetch',
  'crypto', 'navigator', 'require', 'module', 'exports', '__filename', '__dirname'])

/** The standard globals of a fresh context: the census skips them and everything they hold. */
export function standardGlobals (): { names: Set<string>, values: object[] } {
  const fresh = runInNewContext('Object.getOwnPropertyNames(globalThis)') as string[]
  const names = new Set([...fresh, ...NODE_GLOBALS])
  const values: object[] = []
  for (const name of names) {
    if (name === 'globalThis' || name === 'global' || name === 'process') continue
    const value = dataValue(globalThis, name)
    if (!isWalkable(value)) continue
    values.push(value)
    const proto = dataValue(value, 'prototype')
    if (isWalkable(proto)) values.push(proto)
  }
  values.push(Object.getPrototypeOf(function () {}) as object, Object.getPrototypeOf(async function () {}) as object,
    Object.getPrototypeOf(function * () {}) as object, Object.getPrototypeOf(async function * () {}) as object)
  return { names, values }
}

/** Fastify's root instance: child instances are made with Object.create(parent), each with its own children list. */
function rootInstance (scope: object): object {
  const hasChildren = (o: object): boolean => keysOf(o).some((k) => typeof k === 'symbol' && k.description === 'fastify.children')
  let instance = scope
  for (let proto = prototypeOf(instance); proto !== null && hasChildren(proto); proto = prototypeOf(proto)) instance = proto
  return instance
}

export function cjsFiles (): Set<string> {
  const cache = (Module as unknown as { _cache?: Record<string, unknown> })._cache ?? {}
  return new Set(Object.keys(cache))
}

/**
 * The roots, in the order their paths read best: the app (Fastify's root
 * instance and its decorations), the server and its listeners, process
 * listeners, the app's own globals, every CommonJS module's exports, the
 * active handles (sockets, servers). ES modules are reached through the
 * functions these hold, by their closure scopes.
 */
export function censusRoots (roots: CensusRoots, standard: ReadonlySet<string>): Root[] {
  const out: Root[] = [
    { value: rootInstance(roots.scope), path: root('app') },
    { value: roots.server, path: root('server') },
    { value: dataValue(process, '_events'), path: root('process listeners') }
  ]
  for (const key of keysOf(globalThis)) {
    if (typeof key === 'string' && standard.has(key)) continue
    out.push({ value: dataValue(globalThis, key), path: root(`globalThis.${String(typeof key === 'symbol' ? `[${key.description ?? ''}]` : key)}`) })
  }
  const cache = (Module as unknown as { _cache?: Record<string, unknown> })._cache ?? {}
  for (const file of Object.keys(cache)) {
    const mod = cache[file]
    if (!isWalkable(mod)) continue
    const shown = displayFile(file)
    out.push({ value: dataValue(mod, 'exports'), path: root(`module ${shown}`, shown) })
  }
  const handles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? []
  for (const h of handles) out.push({ value: h, path: root(`active handle (${constructorName(h)})`) })
  return out
}
