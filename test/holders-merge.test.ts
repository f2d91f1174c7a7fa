// Holders that differ only by an index are one finding (src/census/holders.ts, mergeAlike): the leaking demo's
// every leaked listener grows its own array, and eight such rows pushed the two real holders' neighbours away.
import { describe, expect, it } from 'vitest'
import { type Holder, mergeAlike } from '../src/census/holders.js'

const holder = (path: string, p: number, kind: Holder['kind'] = 'Array'): Holder => ({
  path, file: 'demo/app.js', kind, entries: 44, growth: 41, entriesPerHour: 3636, sample: { keys: [], values: ['string'] }, p, recentP: 0.01, alike: 1
})

describe('mergeAlike', () => {
  it('folds siblings whose paths differ only by indexes into the most certain one, * for the index', () => {
    const listeners = holder("module demo/app.js › announcements › listeners 'announcement'", 1e-6, 'listeners')
    const seen = [3, 0, 1, 2].map((i) => holder(`module demo/app.js › announcements › listeners 'announcement' › ${i} › (closure) › greeting › seen`, 1e-5 * (i + 1)))
    const map = holder('module demo/leaks.js › requestContext', 2e-6, 'Map')
    const merged = mergeAlike([listeners, map, ...seen])
    expect(merged.map((h) => [h.path, h.alike])).toEqual([
      ["module demo/app.js › announcements › listeners 'announcement'", 1],
      ['module demo/leaks.js › requestContext', 1],
      ["module demo/app.js › announcements › listeners 'announcement' › * › (closure) › greeting › seen", 4]
    ])
    // The representative's figures are the first one's (most certain first in, most certain first out).
    expect(merged[2]?.p).toBe(seen[0]?.p)
  })

  it('keeps a lone indexed path as it is, and never merges different kinds or a trailing name that looks like a number', () => {
    const lone = holder('app › shards › 7 › pending', 1e-4, 'Map')
    const a = holder('app › queues › 0', 1e-4, 'Array')
    const b = holder('app › queues › 1', 1e-4, 'Set')
    const c = holder('app › v2 › jobs', 1e-4)
    const d = holder('app › v3 › jobs', 1e-4)
    expect(mergeAlike([lone, a, b, c, d]).map((h) => [h.path, h.alike])).toEqual([
      ['app › shards › 7 › pending', 1], ['app › queues › 0', 1], ['app › queues › 1', 1], ['app › v2 › jobs', 1], ['app › v3 › jobs', 1]
    ])
  })

  it('merges trailing indexes too', () => {
    const merged = mergeAlike([holder('app › rows › 0', 1e-4), holder('app › rows › 1', 2e-4)])
    expect(merged).toHaveLength(1)
    expect(merged[0]).toMatchObject({ path: 'app › rows › *', alike: 2 })
  })
})
