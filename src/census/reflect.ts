import { types } from 'node:util'

/**
 * Reading the application's objects without running any of its code: no
 * getter, no Proxy trap, no toJSON or inspect hook. Only own data properties
 * are read, proxies are never looked into, and the sizes of collections come
 * from the built-in accessors captured here, at load, so an app that
 * subclasses Map or redefines `size` on its own prototype is not called.
 */

const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size')?.get as (this: Map<unknown, unknown>) => number
const setSize = Object.getOwnPropertyDescriptor(Set.prototype, 'size')?.get as (this: Set<unknown>) => number
const mapEntries = Map.prototype.entries
const setValues = Set.prototype.values
const iteratorNext = Object.getPrototypeOf(new Map().entries()).next as (this: Iterator<unknown>) => IteratorResult<unknown>
const setIteratorNext = Object.getPrototypeOf(new Set().values()).next as (this: Iterator<unknown>) => IteratorResult<unknown>
const { apply, getOwnPropertyDescriptor, getPrototypeOf, ownKeys } = Reflect

export type Walkable = object

export function isWalkable (value: unknown): value is Walkable {
  return (typeof value === 'object' && value !== null) || typeof value === 'function'
}

/** Proxies are skipped whole: even listing their keys runs the app's traps. */
export function isProxy (value: object): boolean {
  return types.isProxy(value)
}

/** Own keys of a non-proxy object: ordinary and exotic built-in objects have no hooks here. */
export function keysOf (value: object): Array<string | symbol> {
  try {
    return ownKeys(value)
  } catch {
    return []
  }
}

/** An own data property's value; undefined for accessors (never called) and for bindings not yet initialised. */
export function dataValue (value: object, key: string | symbol): unknown {
  try {
    const d = getOwnPropertyDescriptor(value, key)
    return d !== undefined && 'value' in d ? d.value : undefined
  } catch {
    // A module namespace throws for a binding still in its temporal dead zone.
    return undefined
  }
}

export function prototypeOf (value: object): object | null {
  try {
    return getPrototypeOf(value)
  } catch {
    return null
  }
}

/**
 * The constructor's name, read from the prototype chain's own data
 * properties only (`obj.constructor.name` could be a getter).
 */
export function constructorName (value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object' && typeof value !== 'function') return typeof value
  if (types.isProxy(value)) return 'Proxy'
  if (typeof value === 'function') return 'Function'
  let proto = prototypeOf(value)
  for (let depth = 0; proto !== null && depth < 32; depth++) {
    const ctor = dataValue(proto, 'constructor')
    if (typeof ctor === 'function') {
      const name = dataValue(ctor, 'name')
      if (typeof name === 'string' && name !== '') return name
    }
    proto = prototypeOf(proto)
  }
  return 'Object'
}

export function sizeOfMap (value: Map<unknown, unknown>): number {
  return apply(mapSize, value, []) as number
}

export function sizeOfSet (value: Set<unknown>): number {
  return apply(setSize, value, []) as number
}

/** The first `n` [key, value] pairs of a Map, through the built-in iterator. */
export function firstMapEntries (value: Map<unknown, unknown>, n: number): Array<[unknown, unknown]> {
  const out: Array<[unknown, unknown]> = []
  if (n <= 0) return out
  const it = apply(mapEntries, value, []) as Iterator<[unknown, unknown]>
  for (let r = apply(iteratorNext, it, []) as IteratorResult<[unknown, unknown]>; r.done !== true && out.length < n; r = apply(iteratorNext, it, []) as IteratorResult<[unknown, unknown]>) {
    out.push(r.value)
  }
  return out
}

/** The first `n` values of a Set, through the built-in iterator. */
export function firstSetValues (value: Set<unknown>, n: number): unknown[] {
  const out: unknown[] = []
  if (n <= 0) return out
  const it = apply(setValues, value, []) as Iterator<unknown>
  for (let r = apply(setIteratorNext, it, []) as IteratorResult<unknown>; r.done !== true && out.length < n; r = apply(setIteratorNext, it, []) as IteratorResult<unknown>) {
    out.push(r.value)
  }
  return out
}

/** An array's length, an own data property of every array (Array.isArray is false for proxies we never reach). */
export function lengthOf (value: unknown[]): number {
  const length = dataValue(value, 'length')
  return typeof length === 'number' ? length : 0
}
