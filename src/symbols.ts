import { Lru } from './lru.js'
import { slotOf } from './pprof/address.js'

/**
 * Address-to-function names for `/pprof/symbol`. Our addresses are hashes, so
 * the table remembers what recent text profiles handed out. It belongs to one
 * plugin instance and is bounded: the oldest entries go first.
 */
export class SymbolTable {
  readonly #names: Lru<number, string>

  constructor (max: number) {
    this.#names = new Lru(max)
  }

  remember (address: number, name: string): void {
    this.#names.set(address, name)
  }

  /** pprof asks about return address - 1 for legacy text profiles. */
  lookup (address: number): string | undefined {
    return this.#names.peek(address) ?? this.#names.peek(slotOf(address))
  }

  get size (): number {
    return this.#names.count
  }
}
