import { describe, expect, it } from 'vitest'
import { Lru } from '../src/lru.js'

describe('Lru, the one bounded cache', () => {
  it('drops the least recently used entry past the count bound; get() refreshes, peek() does not', () => {
    const lru = new Lru<string, number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    expect(lru.get('a')).toBe(1)
    lru.set('c', 3)
    expect([lru.peek('a'), lru.peek('b'), lru.peek('c')]).toEqual([1, undefined, 3])
    expect(lru.peek('a')).toBe(1)
    lru.set('d', 4)
    // peek() left 'a' the oldest.
    expect([lru.peek('a'), lru.peek('c'), lru.peek('d')]).toEqual([undefined, 3, 4])
    expect(lru.count).toBe(2)
  })

  it('bounds the sum of sizes, keeps nothing bigger than the bound, and counts deletes and clears', () => {
    const lru = new Lru<string, string>(100, 10)
    lru.set('a', 'x', 4)
    lru.set('b', 'y', 4)
    lru.set('c', 'z', 4)
    expect(lru.peek('a')).toBeUndefined()
    expect(lru.size).toBe(8)
    lru.set('huge', 'w', 11)
    expect(lru.peek('huge')).toBeUndefined()
    expect(lru.size).toBe(8)
    lru.set('b', 'y2', 1)
    expect([lru.size, lru.count]).toEqual([5, 2])
    lru.delete('c')
    expect([lru.size, lru.count]).toEqual([1, 1])
    lru.clear()
    expect([lru.size, lru.count]).toEqual([0, 0])
  })

  it('holds nothing with a bound of zero entries', () => {
    const lru = new Lru<number, string>(0)
    lru.set(1, 'a')
    expect([lru.count, lru.peek(1)]).toEqual([0, undefined])
  })
})
