import type { HeapGraph } from './graph.js'

/**
 * Words for one step of a retainer path: the edge's name and the target's
 * constructor (or V8's name for an internal), never a value. String, number
 * and code nodes are named by their kind only, and keys of objects used as
 * dictionaries are folded to `[key]`: a session map keyed by token would
 * otherwise print the tokens.
 */

// More named properties than this and an object is a dictionary: its keys are data, not names. (A Fastify
// instance has about a hundred, its decorations among them: those are names.)
const DICTIONARY_KEYS = 256
const MAX_LABEL = 80
// A key with a run of digits, or a long one with digits, reads as an id or a token, not as a name someone wrote.
const IDENTIFIER = /^[A-Za-z_$#][\w$]{0,47}$/
const TOKEN = /\d{3}|^(?=.*\d).{16,}$/

const KIND_LABEL: Readonly<Record<string, string>> = {
  string: '(string)',
  'concatenated string': '(string)',
  'sliced string': '(string)',
  number: '(number)',
  bigint: '(bigint)',
  regexp: 'RegExp',
  code: '(code)',
  symbol: '(symbol)',
  'object shape': '(shape)'
}

// V8's internal names, in the words a JS reader knows.
const INTERNAL_LABEL: Readonly<Record<string, string>> = {
  'system / Context': '(scope)',
  'system / NativeContext': '(global scope)',
  'system / ScriptContext': '(script scope)'
}

export class Labels {
  readonly #g: HeapGraph
  readonly #kinds: readonly string[]
  readonly #edgeKinds: readonly string[]
  readonly #dictionary = new Map<number, boolean>()

  constructor (g: HeapGraph) {
    this.#g = g
    this.#kinds = g.nodeTypes
    this.#edgeKinds = g.edgeTypes
  }

  node (n: number): string {
    const kind = this.#kinds[this.#g.nodeType[n] ?? 0] ?? 'hidden'
    const fixed = KIND_LABEL[kind]
    if (fixed !== undefined) return fixed
    const name = clip(this.#g.strings[this.#g.nodeName[n] ?? 0] ?? '')
    if (kind === 'closure') return `${name === '' ? '(anonymous)' : name}()`
    if (name === '') return kind === 'object' ? 'Object' : `(${kind})`
    return INTERNAL_LABEL[name] ?? name
  }

  /** The edge from `from` by edge index `e`. */
  edge (from: number, e: number): string {
    const kind = this.#edgeKinds[this.#g.edgeType[e] ?? 0] ?? ''
    if (kind === 'element' || kind === 'hidden') return '[]'
    const name = this.#g.strings[this.#g.edgeName[e] ?? 0] ?? ''
    // V8 names some internal edges by slot number (handles, hash table entries): positions, like elements.
    if (/^\d+$/.test(name)) return '[]'
    // An ephemeron's edge names both objects by snapshot id: one label for all of them, so they cluster.
    if (name.includes('part of key')) return '(WeakMap entry)'
    if (kind === 'property' && (this.#isDictionary(from) || !IDENTIFIER.test(name) || TOKEN.test(name))) return '[key]'
    return clip(name)
  }

  #isDictionary (n: number): boolean {
    let known = this.#dictionary.get(n)
    if (known === undefined) {
      const property = this.#edgeKinds.indexOf('property')
      let count = 0
      const end = this.#g.firstEdge[n + 1] ?? 0
      for (let e = this.#g.firstEdge[n] ?? 0; e < end && count <= DICTIONARY_KEYS; e++) if (this.#g.edgeType[e] === property) count++
      known = count > DICTIONARY_KEYS
      this.#dictionary.set(n, known)
    }
    return known
  }
}

function clip (s: string): string {
  return s.length > MAX_LABEL ? `${s.slice(0, MAX_LABEL - 1)}…` : s
}
