/**
 * A bounded least-recently-used map: the plugin's one cache shape (auth
 * failures per address, symbol names, source maps). Map insertion order is
 * the recency: get() moves an entry to the back, set() drops from the front
 * past either bound. lru-cache would add 4 MB to every install for this;
 * toad-cache, already installed with Fastify, has no bound on total size.
 */
export class Lru<K, V> {
  readonly #maxEntries: number
  readonly #maxSize: number
  readonly #entries = new Map<K, { value: V, size: number }>()
  #size = 0

  /** `maxSize` bounds the sum of the sizes given to set(); an entry bigger than it is not kept. */
  constructor (maxEntries: number, maxSize = Infinity) {
    this.#maxEntries = maxEntries
    this.#maxSize = maxSize
  }

  /** The value, now the most recently used. */
  get (key: K): V | undefined {
    const entry = this.#entries.get(key)
    if (entry !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, entry)
    }
    return entry?.value
  }

  /** The value, its recency untouched. */
  peek (key: K): V | undefined {
    return this.#entries.get(key)?.value
  }

  set (key: K, value: V, size = 0): void {
    this.delete(key)
    if (size > this.#maxSize || this.#maxEntries <= 0) return
    this.#entries.set(key, { value, size })
    this.#size += size
    while (this.#entries.size > this.#maxEntries || this.#size > this.#maxSize) {
      const oldest = this.#entries.keys().next()
      if (oldest.done === true) break
      this.delete(oldest.value)
    }
  }

  delete (key: K): void {
    const entry = this.#entries.get(key)
    if (entry === undefined) return
    this.#entries.delete(key)
    this.#size -= entry.size
  }

  clear (): void {
    this.#entries.clear()
    this.#size = 0
  }

  /** Entries held. */
  get count (): number {
    return this.#entries.size
  }

  /** Sum of the sizes of the entries held. */
  get size (): number {
    return this.#size
  }
}
