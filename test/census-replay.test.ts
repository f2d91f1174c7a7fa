// A census replays what the inspector showed of each function at an earlier census instead of asking again
// (src/census/function-facts.ts): later censuses make far fewer protocol calls, and a replay still sees a
// collection that a closure variable was reassigned to, or one a variable got later, within REREAD_EVERY censuses.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext, runInThisContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { InspectorBridge } from '../src/census/bridge.js'
import { REREAD_EVERY } from '../src/census/function-facts.js'
import { root } from '../src/census/path.js'
import { type Collection, CensusWalk, Identity, type WalkStats } from '../src/census/walk.js'

const bridges: InspectorBridge[] = []
afterEach(() => { for (const b of bridges.splice(0)) b.close() })

function censusOf (value: object): () => Promise<{ collections: Collection[], stats: WalkStats }> {
  const bridge = new InspectorBridge()
  bridges.push(bridge)
  const identity = new Identity()
  // The built-in prototypes are skipped: the walk reaches the holder's functions and what they hold, nothing else.
  const skip = [Object.prototype, Function.prototype, Map.prototype]
  return async () => await new CensusWalk(bridge, identity, { maxObjects: 10_000, maxDepth: 16 }, new AbortController().signal, skip, new Set())
    .run([{ value, path: root('test') }])
}

function entriesAt (collections: readonly Collection[], name: string): number | undefined {
  return collections.find((c) => c.path.endsWith(`(closure) › ${name}`))?.entries
}

interface Holder { get: () => unknown, replace: (m: Map<number, object>) => void, fill: () => void }

/**
 * A closure over two variables, as an app's module keeps them. Compiled as a
 * script of its own, so that its functions' only other scope is the global
 * one (the test file's own scope would bring the whole test runner in).
 */
const makeHolder = runInThisContext(`(function makeHolder () {
  let cache = new Map([[1, {}]])
  let later
  return {
    get: () => [cache, later],
    replace: (m) => { cache = m },
    fill: () => { later = new Map([[1, {}], [2, {}]]) }
  }
})`) as () => Holder

describe('the census replays what it read of each function', () => {
  it('asks the inspector about each function once, not at every census', async () => {
    const census = censusOf(makeHolder())
    const first = await census()
    const second = await census()
    expect(entriesAt(second.collections, 'cache')).toBe(1)
    expect(second.stats.protocolCalls).toBeLessThan(first.stats.protocolCalls)
  })

  it('sees the collection a variable was reassigned to, once the old one is collected', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    setFlagsFromString('--no-expose-gc')
    const holder = makeHolder()
    const census = censusOf(holder)
    // Until a census replays everything (the first reading spreads the next ones over the following censuses).
    let calls = -1
    for (let i = 0; i < 2 * REREAD_EVERY && calls !== 0; i++) {
      const { collections, stats } = await census()
      expect(entriesAt(collections, 'cache')).toBe(1)
      calls = stats.protocolCalls
    }
    expect(calls).toBe(0)
    holder.replace(new Map([[1, {}], [2, {}], [3, {}]]))
    // A WeakRef's target read in this turn of the event loop stays alive until the turn ends.
    await new Promise((resolve) => setImmediate(resolve))
    gc()
    const { collections, stats } = await census()
    expect(entriesAt(collections, 'cache')).toBe(3)
    expect(stats.protocolCalls).toBeGreaterThan(0)
  })

  it('sees a collection a variable got after its reading within REREAD_EVERY censuses', async () => {
    const holder = makeHolder()
    const census = censusOf(holder)
    expect(entriesAt((await census()).collections, 'later')).toBeUndefined()
    holder.fill()
    let seen: number | undefined
    for (let i = 0; i < REREAD_EVERY && seen === undefined; i++) seen = entriesAt((await census()).collections, 'later')
    expect(seen).toBe(2)
  })
})
