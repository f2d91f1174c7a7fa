import { setImmediate as nextTurn } from 'node:timers/promises'

/**
 * Lets a long conversion loop give the event loop back every few
 * milliseconds, so a profile of a big heap never freezes the server being
 * debugged for longer than V8's own native step does.
 */
export class Slicer {
  readonly #budgetMs: number
  readonly #signal: AbortSignal | undefined
  #sliceStart = performance.now()
  #ticks = 0

  constructor (signal?: AbortSignal, budgetMs = 5) {
    this.#signal = signal
    this.#budgetMs = budgetMs
  }

  /** Cheap to call per item: checks the clock only every 128 calls. */
  async tick (): Promise<void> {
    if ((++this.#ticks & 127) !== 0) return
    if (performance.now() - this.#sliceStart < this.#budgetMs) return
    await this.yield()
  }

  async yield (): Promise<void> {
    await nextTurn()
    this.#signal?.throwIfAborted()
    this.#sliceStart = performance.now()
  }
}
