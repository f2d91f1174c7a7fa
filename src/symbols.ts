import { slotOf } from './pprof/address.js'

/**
 * Address-to-function names for `/pprof/symbol`. Our addresses are hashes, so
 * the table remembers what recent text profiles handed out. It belongs to one
 * plugin instance and is bounded: the oldest entries go first.
 */
export class SymbolTable {
  readonly #max: number
  readonly #names = new Map<number, string>()

  constructor (max: number) {
    this.#max = max
  }

  remember (address: number, name: string): void {
    if (this.#max === 0) return
    this.#names.delete(address)
    this.#names.set(address, name)
    if (this.#names.size > this.#max) {
      const oldest = this.#names.keys().next()
      if (oldest.done !== true) this.#names.delete(oldest.value)
    }
  }

  /** pprof asks about return address - 1 for legacy text profiles. */
  lookup (address: number): string | undefined {
    return this.#names.get(address) ?? this.#names.get(slotOf(address))
  }

  get size (): number {
    return this.#names.size
  }
}
