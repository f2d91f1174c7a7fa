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

  /**
   * True when the current slice has used its budget. Synchronous, so hot
   * loops pay no promise per item: `if (slicer.due()) await slicer.yield()`.
   * Checks the clock only every 128 calls.
   */
  due (): boolean {
    if ((++this.#ticks & 127) !== 0) return false
    return performance.now() - this.#sliceStart >= this.#budgetMs
  }

  /** For loops that are not hot: yields when the slice is used up. */
  async tick (): Promise<void> {
    if (this.due()) await this.yield()
  }

  async yield (): Promise<void> {
    await nextTurn()
    this.#signal?.throwIfAborted()
    this.#sliceStart = performance.now()
  }
}
