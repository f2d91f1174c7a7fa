import { Lru } from '../lru.js'

/**
 * Failed logins per client address in a fixed window, bounded in the number
 * of addresses it remembers (oldest first out), so an attacker rotating
 * addresses cannot grow it. Belongs to one plugin instance.
 */
export class FailureLimiter {
  readonly #max: number
  readonly #windowMs: number
  // Recency is the last failure: blockedFor() only peeks.
  readonly #entries: Lru<string, { count: number, resetAt: number }>

  constructor (opts: { maxFailures: number, windowMs: number, maxAddresses: number }) {
    this.#max = opts.maxFailures
    this.#windowMs = opts.windowMs
    this.#entries = new Lru(opts.maxAddresses)
  }

  /** Seconds until this address may try again, or 0 when it may now. */
  blockedFor (address: string, now = Date.now()): number {
    const entry = this.#entries.peek(address)
    if (entry === undefined) return 0
    if (entry.resetAt <= now) {
      this.#entries.delete(address)
      return 0
    }
    return entry.count >= this.#max ? Math.max(1, Math.ceil((entry.resetAt - now) / 1000)) : 0
  }

  recordFailure (address: string, now = Date.now()): void {
    let entry = this.#entries.peek(address)
    if (entry === undefined || entry.resetAt <= now) {
      entry = { count: 0, resetAt: now + this.#windowMs }
    }
    entry.count++
    this.#entries.set(address, entry)
  }

  get size (): number {
    return this.#entries.count
  }
}
