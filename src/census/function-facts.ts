/**
 * What the inspector showed of each function, kept between censuses so that
 * most censuses need not ask it again. Asking is the census's main cost: every
 * function handed to the inspector comes back as JSON with its source as its
 * description, and that garbage (about 16 MiB a census on the demo app) brought
 * on young-generation collections inside the census's slices, each 5 to 40 ms
 * on a big heap.
 */

/** Censuses between two readings of one function's scopes (at most; a target gone forces one sooner). */
export const REREAD_EVERY = 8

/**
 * One reference the inspector showed out of a function: a closure or module
 * variable, a bound function's target, `this` or an argument. Held weakly,
 * so remembering it keeps nothing alive.
 */
export interface Edge {
  /** The variable lives in the function's module scope: its path starts at `module <file>`. */
  readonly module: boolean
  /** One or two names from the function (or its module) to the target: ['(closure)', 'cache'], ['[[TargetFunction]]']. */
  readonly labels: readonly string[]
  readonly target: WeakRef<object>
}

export interface FunctionFacts {
  /** Node's own or a native function: never asked about again. */
  readonly skip: boolean
  /** Its only scope (besides the global one) is its module's: this module's key. */
  readonly moduleOnly: string | undefined
  /** The file shown for its module scope. */
  readonly file: string | undefined
  readonly edges: readonly Edge[]
  /** The census that asks the inspector again. */
  readonly due: number
}

const SKIP: FunctionFacts = { skip: true, moduleOnly: undefined, file: undefined, edges: [], due: Infinity }

/**
 * Facts per function, in a WeakMap (a function that goes away takes its facts
 * along). A census replays what it remembers; each function is read again
 * every REREAD_EVERY censuses, staggered so that each census rereads about
 * one in REREAD_EVERY, or at once when one of its targets was collected (the
 * variable was reassigned). What a replay misses: a variable that held no
 * object at the last reading (`let cache` set later), or one reassigned to
 * another object while the old one is still alive elsewhere, until the
 * function's next reading.
 */
export class FunctionFactsCache {
  readonly #facts = new WeakMap<object, FunctionFacts>()
  #census = 0
  #spread = 0

  /** Starts a census. */
  begin (): void {
    this.#census++
  }

  get (fn: object): FunctionFacts | undefined {
    return this.#facts.get(fn)
  }

  isDue (facts: FunctionFacts): boolean {
    return facts.due <= this.#census
  }

  skip (fn: object): void {
    this.#facts.set(fn, SKIP)
  }

  remember (fn: object, moduleOnly: string | undefined, file: string | undefined, edges: readonly Edge[]): FunctionFacts {
    // The first reading spreads the next ones over the following censuses; later ones keep their place.
    const due = this.#facts.has(fn) ? this.#census + REREAD_EVERY : this.#census + 1 + (this.#spread++ % REREAD_EVERY)
    const facts: FunctionFacts = { skip: false, moduleOnly, file, edges, due }
    this.#facts.set(fn, facts)
    return facts
  }
}
