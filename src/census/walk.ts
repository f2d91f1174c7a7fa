import { types } from 'node:util'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { InspectorBridge } from './bridge.js'
import { type Edge, type FunctionFacts, FunctionFactsCache } from './function-facts.js'
import { child, displayFile, keyName, moduleRoot, type PathNode, render } from './path.js'
import {
  constructorName, dataValue, firstMapEntries, firstSetValues, isProxy, isWalkable, keysOf, lengthOf, prototypeOf,
  sizeOfMap, sizeOfSet, type Walkable
} from './reflect.js'

/** The kinds of collection the census counts; names fixed, tools read them. */
export type CollectionKind = 'Map' | 'Set' | 'Array' | 'listeners' | 'Object'

export interface Collection {
  /** Same collection, same id, from one census to the next (a WeakMap: the collection is never kept alive). */
  readonly id: number
  readonly kind: CollectionKind
  readonly entries: number
  readonly path: string
  readonly file: string | undefined
  /** Constructor names of a few keys (Map) and values: names only, never values. */
  readonly sample: { readonly keys: readonly string[], readonly values: readonly string[] }
}

export interface WalkStats {
  readonly objects: number
  readonly functions: number
  readonly protocolCalls: number
  /** The longest the walk held the event loop at once, and the time it held it in all, ms. */
  readonly maxSliceMs: number
  readonly busyMs: number
  /** CPU the process spent during the walk's slices, ms: its cost, whatever else the machine runs. */
  readonly cpuMs: number
  /** The walk stopped at maxObjects: what it did not reach is not counted. */
  readonly truncated: boolean
}

export interface WalkLimits {
  readonly maxObjects: number
  readonly maxDepth: number
}

export interface Root {
  readonly value: unknown
  readonly path: PathNode
}

/**
 * What outlives one census: ids by object, weakly held, so a collection keeps
 * its id across censuses and nothing is kept alive by being counted.
 */
export class Identity {
  readonly #ids = new WeakMap<object, number>()
  readonly #keyed = new WeakMap<object, Map<string, number>>()
  /** Per prototype: do its instances have private fields (learnt from one instance)? */
  readonly privateFields = new WeakMap<object, boolean>()
  /** Per function, what the inspector said of it: later censuses replay it instead of asking again. */
  readonly functions = new FunctionFactsCache()
  #next = 1

  of (value: object): number {
    let id = this.#ids.get(value)
    if (id === undefined) {
      id = this.#next++
      this.#ids.set(value, id)
    }
    return id
  }

  /** An id for a collection that is not one object: the listeners of one event on one emitter. */
  ofKeyed (owner: object, label: string): number {
    let byLabel = this.#keyed.get(owner)
    if (byLabel === undefined) {
      byLabel = new Map()
      this.#keyed.set(owner, byLabel)
    }
    let id = byLabel.get(label)
    if (id === undefined) {
      id = this.#next++
      byLabel.set(label, id)
    }
    return id
  }
}

// Below this many entries a collection is looked into whole; above, only its first few (its sample).
const LOOK_INTO_ALL = 64
// An object's properties are walked whole up to this many (Fastify's instance has about a hundred); past it, it is a dictionary.
const PROPERTIES_ALL = 1024
const LOOK_INTO_FIRST = 8
const SAMPLE = 3
// An ordinary object with this many keys is counted as a dictionary.
const DICTIONARY_KEYS = 32
// Objects handed to the inspector at once: each costs one protocol call, the batch two more.
const BATCH = 16

interface Item { readonly value: Walkable, readonly path: PathNode }

type Plan =
  | { readonly role: 'scopes', readonly item: Item, readonly file: string | undefined, readonly cjs: boolean, readonly key: string }
  | { readonly role: 'edge', readonly item: Item, readonly name: string }

/**
 * One census: a breadth-first walk from the roots over own data properties,
 * prototypes, the first entries of collections, closure scopes, bound
 * functions and private fields, recording the size of every collection met.
 * Breadth first, so each collection is named by a shortest path. Cooperative:
 * it gives the event loop back every few milliseconds.
 */
export class CensusWalk {
  readonly #bridge: InspectorBridge
  readonly #identity: Identity
  readonly #limits: WalkLimits
  readonly #signal: AbortSignal
  readonly #budgetMs: number
  readonly #visited: WeakSet<object>
  readonly #queue: Array<Item | undefined> = []
  readonly #pending: Item[] = []
  readonly #found: Collection[] = []
  readonly #cjsFiles: ReadonlySet<string>
  /** How each script shows, by its key: worked out once per census, not once per function. */
  readonly #scripts = new Map<string, { readonly file: string, readonly cjs: boolean }>()
  /** Modules whose scope this census has walked already. */
  readonly #modulesWalked = new Set<string>()
  #head = 0
  #objects = 0
  #functions = 0
  #calls = 0
  #truncated = false
  #maxSliceMs = 0
  #busyMs = 0
  #cpuMs = 0

  constructor (bridge: InspectorBridge, identity: Identity, limits: WalkLimits, signal: AbortSignal, skip: Iterable<object>, cjsFiles: ReadonlySet<string>, budgetMs = 3) {
    this.#bridge = bridge
    this.#identity = identity
    this.#limits = limits
    this.#signal = signal
    this.#budgetMs = budgetMs
    this.#visited = new WeakSet(skip)
    this.#cjsFiles = cjsFiles
  }

  async run (roots: readonly Root[]): Promise<{ collections: Collection[], stats: WalkStats }> {
    this.#identity.functions.begin()
    for (const r of roots) this.#enqueue(r.value, r.path)
    let sliceStart = performance.now()
    let sliceCpu = process.cpuUsage()
    let ticks = 0
    try {
      while (!this.#truncated && (this.#head < this.#queue.length || this.#pending.length > 0)) {
        let flushed = false
        if (this.#head < this.#queue.length) {
          const item = this.#queue[this.#head] as Item
          // The queue lets go of what it has walked.
          this.#queue[this.#head++] = undefined
          this.#visit(item)
          if (this.#pending.length >= BATCH) flushed = this.#flush()
        } else {
          flushed = this.#flush()
        }
        // The clock is read after every protocol batch and every 16 plain objects (one can have a thousand keys).
        if (flushed || (++ticks & 15) === 0) {
          const now = performance.now()
          if (now - sliceStart >= this.#budgetMs) {
            this.#endSlice(now - sliceStart, sliceCpu)
            await nextTurn()
            this.#signal.throwIfAborted()
            sliceStart = performance.now()
            sliceCpu = process.cpuUsage()
          }
        }
      }
      this.#endSlice(performance.now() - sliceStart, sliceCpu)
    } finally {
      this.#queue.length = 0
      this.#pending.length = 0
    }
    return {
      collections: this.#found,
      stats: {
        objects: this.#objects,
        functions: this.#functions,
        protocolCalls: this.#calls,
        maxSliceMs: this.#maxSliceMs,
        busyMs: this.#busyMs,
        cpuMs: this.#cpuMs,
        truncated: this.#truncated
      }
    }
  }

  #endSlice (ms: number, cpuAtStart: NodeJS.CpuUsage): void {
    const cpu = process.cpuUsage(cpuAtStart)
    this.#cpuMs += (cpu.user + cpu.system) / 1000
    this.#busyMs += ms
    if (ms > this.#maxSliceMs) this.#maxSliceMs = ms
  }

  #enqueue (value: unknown, path: PathNode): void {
    if (this.#worth(value, path.depth)) this.#queue.push({ value, path })
  }

  /** Queues `value` under `parent › name`: the path node is made only for what is queued (most values are not). */
  #enqueueChild (value: unknown, parent: PathNode, name: string): void {
    if (this.#worth(value, parent.depth + 1)) this.#queue.push({ value, path: child(parent, name) })
  }

  #worth (value: unknown, depth: number): value is Walkable {
    return isWalkable(value) && !this.#visited.has(value) && depth <= this.#limits.maxDepth
  }

  #visit (item: Item): void {
    const { value, path } = item
    if (this.#visited.has(value)) return
    this.#visited.add(value)
    if (++this.#objects > this.#limits.maxObjects) {
      this.#truncated = true
      return
    }
    if (isProxy(value)) return
    if (typeof value === 'function') {
      this.#functions++
      // Node's own and native functions are never asked about again, and a module's top-level function is skipped
      // when another function of its module already showed that module's scope in this census (they share it).
      // Otherwise what was read is replayed, unless the function is due to be asked again or a target is gone.
      const facts = this.#identity.functions.get(value)
      const known = facts !== undefined && (facts.skip || (facts.moduleOnly !== undefined && this.#modulesWalked.has(facts.moduleOnly)))
      if (!known && (facts === undefined || this.#identity.functions.isDue(facts) || !this.#follow(facts, path))) this.#pending.push(item)
      this.#properties(value, path)
      return
    }
    if (types.isMap(value)) return this.#map(value as Map<unknown, unknown>, path)
    if (types.isSet(value)) return this.#set(value as Set<unknown>, path)
    if (Array.isArray(value)) return this.#array(value, path)
    if (isLeaf(value)) return
    this.#object(value, path)
  }

  #record (id: number, kind: CollectionKind, entries: number, path: PathNode, keys: readonly unknown[], values: readonly unknown[]): void {
    const { path: rendered, file } = render(path)
    this.#found.push({ id, kind, entries, path: rendered, file, sample: { keys: names(keys), values: names(values) } })
  }

  #map (map: Map<unknown, unknown>, path: PathNode): void {
    const size = sizeOfMap(map)
    const first = firstMapEntries(map, size <= LOOK_INTO_ALL ? size : LOOK_INTO_FIRST)
    if (size > 0) this.#record(this.#identity.of(map), 'Map', size, path, first.slice(0, SAMPLE).map((e) => e[0]), first.slice(0, SAMPLE).map((e) => e[1]))
    for (const [k, v] of first) {
      this.#enqueueChild(k, path, '(key)')
      this.#enqueueChild(v, path, '(value)')
    }
    this.#properties(map, path, false)
  }

  #set (set: Set<unknown>, path: PathNode): void {
    const size = sizeOfSet(set)
    const first = firstSetValues(set, size <= LOOK_INTO_ALL ? size : LOOK_INTO_FIRST)
    if (size > 0) this.#record(this.#identity.of(set), 'Set', size, path, [], first.slice(0, SAMPLE))
    for (const v of first) this.#enqueueChild(v, path, '(value)')
    this.#properties(set, path, false)
  }

  #array (array: unknown[], path: PathNode): void {
    const length = lengthOf(array)
    const n = length <= LOOK_INTO_ALL ? length : LOOK_INTO_FIRST
    const first: unknown[] = []
    for (let i = 0; i < n; i++) first.push(dataValue(array, String(i)))
    // An array whose first slots are empty is a queue's spent slots (undici compacts its queue past 256): it keeps nothing.
    if (length > 0 && first.some((v) => v !== null && v !== undefined)) this.#record(this.#identity.of(array), 'Array', length, path, [], first.slice(0, SAMPLE))
    first.forEach((v, i) => this.#enqueueChild(v, path, String(i)))
  }

  #object (value: object, path: PathNode): void {
    const events = dataValue(value, '_events')
    if (isWalkable(events) && typeof dataValue(value, '_eventsCount') === 'number' && !isProxy(events)) {
      this.#visited.add(events)
      for (const key of keysOf(events)) {
        const listeners = dataValue(events, key)
        const list = Array.isArray(listeners) ? listeners : [listeners]
        const count = Array.isArray(listeners) ? lengthOf(listeners) : typeof listeners === 'function' ? 1 : 0
        const eventPath = child(path, `listeners '${keyName(key)}'`)
        if (count > 0) this.#record(this.#identity.ofKeyed(value, keyName(key)), 'listeners', count, eventPath, [], [])
        const n = Math.min(count, count <= LOOK_INTO_ALL ? count : LOOK_INTO_FIRST)
        for (let i = 0; i < n; i++) {
          const listener = Array.isArray(listeners) ? dataValue(listeners, String(i)) : list[i]
          if (count === 1) this.#enqueue(listener, eventPath)
          else this.#enqueueChild(listener, eventPath, String(i))
        }
      }
    }
    const proto = prototypeOf(value)
    const keys = this.#properties(value, path)
    if (keys >= DICTIONARY_KEYS && (proto === null || proto === Object.prototype)) {
      this.#record(this.#identity.of(value), 'Object', keys, path, [], [])
    }
    // A class instance may hold private fields only the inspector sees: learnt from the first instance of its prototype.
    if (proto !== null && proto !== Object.prototype && this.#identity.privateFields.get(proto) !== false) this.#pending.push({ value, path })
  }

  /** Walks own data properties (all of them, or the first few of a dictionary); returns how many string keys there were. */
  #properties (value: object, path: PathNode, withPrototype = true): number {
    const keys = keysOf(value)
    const n = keys.length <= PROPERTIES_ALL ? keys.length : LOOK_INTO_FIRST
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string | symbol
      if (key === '_events') continue
      // V8 makes a plain function's prototype object when it is first read (about 240 B): reading it here would
      // grow the app's heap. Prototypes that matter are reached through their instances' [[Prototype]].
      if (key === 'prototype' && typeof value === 'function') continue
      this.#enqueueChild(dataValue(value, key), path, keyName(key))
    }
    if (withPrototype) this.#enqueueChild(prototypeOf(value), path, '[[Prototype]]')
    let strings = 0
    for (const k of keys) if (typeof k === 'string') strings++
    return strings
  }

  /** What only the inspector sees, for a batch: closure scopes, bound targets, private fields. */
  #flush (): boolean {
    const items = this.#pending.splice(0, this.#pending.length)
    if (items.length === 0) return false
    const started = performance.now()
    const handles = this.#bridge.handlesOf(items.map((i) => i.value))
    this.#calls += 2
    const plans: Plan[] = []
    const ids: string[] = []
    try {
      items.forEach((item, index) => {
        const objectId = handles[index]?.objectId
        if (objectId === undefined) return
        // Past the slice's budget the rest waits for the next batch (one more handoff each): a loaded machine
        // answers each call in milliseconds, and a batch must not hold the loop for the sum of them.
        if (index > 0 && performance.now() - started >= this.#budgetMs) {
          this.#pending.push(item)
          return
        }
        const props = this.#bridge.properties(objectId)
        this.#calls++
        if (typeof item.value === 'function') {
          let scopes: string | undefined
          let scriptId: string | undefined
          for (const p of props.internalProperties ?? []) {
            const id = p.value?.objectId
            if (p.name === '[[FunctionLocation]]') scriptId = (p.value?.value as { scriptId?: string } | undefined)?.scriptId
            else if (id === undefined) continue
            else if (p.name === '[[Scopes]]') scopes = id
            else if (p.name === '[[TargetFunction]]' || p.name === '[[BoundThis]]' || p.name === '[[BoundArgs]]') {
              plans.push({ role: 'edge', item, name: p.name })
              ids.push(id)
            }
          }
          const url = scriptId === undefined ? undefined : this.#bridge.scriptUrl(scriptId)
          // Node's own modules are not walked into: what the app keeps is reached through the app's functions.
          // A script the list did not have yet (loaded late on a big heap) is walked under its id.
          if (scopes !== undefined && url?.startsWith('node:') !== true && scriptId !== undefined) {
            const key = url ?? `(script ${scriptId})`
            plans.push({ role: 'scopes', item, ...this.#script(key, url), key })
            ids.push(scopes)
          } else if (!plans.some((plan) => plan.item === item)) {
            this.#identity.functions.skip(item.value)
          }
        } else {
          const proto = prototypeOf(item.value)
          const privates = props.privateProperties ?? []
          if (proto !== null) this.#identity.privateFields.set(proto, privates.length > 0)
          for (const p of privates) {
            if (p.value?.objectId === undefined) continue
            plans.push({ role: 'edge', item, name: p.name })
            ids.push(p.value.objectId)
          }
        }
      })
      const objects = this.#bridge.objectsOf(ids)
      this.#calls++
      // A function's edges are remembered, then followed the way a later census replays them.
      const read = new Map<object, { item: Item, edges: Edge[], moduleOnly: string | undefined, file: string | undefined }>()
      plans.forEach((plan, i) => {
        const object = objects[i]
        if (typeof plan.item.value !== 'function') {
          if (plan.role === 'edge') this.#enqueueChild(object, plan.item.path, plan.name)
          return
        }
        let entry = read.get(plan.item.value)
        if (entry === undefined) {
          entry = { item: plan.item, edges: [], moduleOnly: undefined, file: undefined }
          read.set(plan.item.value, entry)
        }
        if (plan.role === 'edge') internalEdges(plan.name, object, entry.edges)
        else if (isWalkable(object)) {
          entry.file = plan.file
          if (this.#scopes(object, plan.file, plan.cjs, entry.edges)) entry.moduleOnly = plan.key
        }
      })
      for (const { item, edges, moduleOnly, file } of read.values()) {
        this.#follow(this.#identity.functions.remember(item.value, moduleOnly, file, edges), item.path)
      }
    } finally {
      this.#bridge.release()
      this.#calls++
    }
    return true
  }

  #script (key: string, url: string | undefined): { readonly file: string, readonly cjs: boolean } {
    let script = this.#scripts.get(key)
    if (script === undefined) {
      script = url === undefined ? { file: key, cjs: false } : { file: displayFile(url), cjs: this.#cjsFiles.has(url.startsWith('file://') ? fileURLToPath(url) : url) }
      this.#scripts.set(key, script)
    }
    return script
  }

  /**
   * Queues what a function's edges point to; false, queueing nothing, when a
   * target was collected since they were read (the variable was reassigned):
   * the function must be asked again.
   */
  #follow (facts: FunctionFacts, path: PathNode): boolean {
    // Checked first, so that a function asked again has queued nothing twice (deref keeps a target until the slice ends).
    for (const edge of facts.edges) if (edge.target.deref() === undefined) return false
    if (facts.moduleOnly !== undefined) this.#modulesWalked.add(facts.moduleOnly)
    let module: PathNode | undefined
    let closure: PathNode | undefined
    for (const edge of facts.edges) {
      const target = edge.target.deref()
      const labels = edge.labels
      // Path nodes only for what is queued, the module's and the closure's shared by their variables.
      if (!this.#worth(target, path.depth + labels.length + (edge.module ? 1 : 0))) continue
      let at = path
      if (edge.module && facts.file !== undefined) at = module ??= moduleRoot(path, facts.file)
      else if (labels[0] === '(closure)' && labels.length === 2) at = closure ??= child(path, '(closure)')
      else if (labels.length === 2) at = child(path, labels[0] as string)
      this.#queue.push({ value: target, path: child(at, labels[labels.length - 1] as string) })
    }
    return true
  }

  /**
   * A function's scope chain, innermost first, the global scope last (walked
   * from globalThis instead), as edges to its variables' objects. The module's
   * own scope (ES module, or the outermost closure of a CommonJS module)
   * starts a new path, `module <file>`. True when the module's scope was its
   * only one.
   */
  #scopes (list: object, file: string | undefined, cjs: boolean, edges: Edge[]): boolean {
    const length = lengthOf(list as unknown[])
    let scopes = 0
    let modules = 0
    let outermost = -1
    for (let i = 0; i < length; i++) {
      const description = dataValue(dataValue(list, String(i)) as object, 'description')
      if (typeof description === 'string' && description.startsWith('Closure')) outermost = i
    }
    for (let i = 0; i < length; i++) {
      const scope = dataValue(list, String(i))
      if (!isWalkable(scope)) continue
      const description = dataValue(scope, 'description')
      const object = dataValue(scope, 'object')
      if (!isWalkable(object) || typeof description !== 'string' || description === 'Global') continue
      const isModule = file !== undefined && (description === 'Module' || (cjs && i === outermost))
      scopes++
      if (isModule) modules++
      for (const key of keysOf(object)) {
        const value = dataValue(object, key)
        if (isWalkable(value)) edges.push({ module: isModule, labels: isModule ? [keyName(key)] : ['(closure)', keyName(key)], target: new WeakRef(value) })
      }
    }
    return scopes === 1 && modules === 1
  }
}

/**
 * A bound function's target, `this` and arguments as edges. The arguments
 * list is a copy the inspector makes at each reading: its entries are
 * remembered, not the copy.
 */
function internalEdges (name: string, object: unknown, edges: Edge[]): void {
  if (!isWalkable(object)) return
  if (name !== '[[BoundArgs]]' || !Array.isArray(object)) {
    edges.push({ module: false, labels: [name], target: new WeakRef(object) })
    return
  }
  const length = lengthOf(object)
  const n = length <= LOOK_INTO_ALL ? length : LOOK_INTO_FIRST
  for (let i = 0; i < n; i++) {
    const value = dataValue(object, String(i))
    if (isWalkable(value)) edges.push({ module: false, labels: [name, String(i)], target: new WeakRef(value) })
  }
}

function isLeaf (value: object): boolean {
  return types.isAnyArrayBuffer(value) || types.isArrayBufferView(value) || types.isWeakMap(value) || types.isWeakSet(value) ||
    types.isPromise(value) || types.isDate(value) || types.isRegExp(value) || types.isBoxedPrimitive(value) || types.isExternal(value) ||
    types.isNativeError(value)
}

function names (values: readonly unknown[]): string[] {
  return [...new Set(values.map(constructorName))]
}
