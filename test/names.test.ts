import { describe, expect, it } from 'vitest'
import { frameFile, functionName } from '../src/profiler/names.js'
import { frameAddress, frameAddresses, slotOf } from '../src/pprof/address.js'

describe('function names', () => {
  it('keeps real names', () => {
    expect(functionName('handler', '/app/x.js', 3)).toBe('handler')
  })

  it('tells anonymous functions apart by file and line, without a slash', () => {
    expect(functionName('', '/app/src/routes.js', 12)).toBe('(anonymous routes.js:12)')
    expect(functionName(undefined, 'file:///app/src/a.mjs', 0)).toBe('(anonymous a.mjs)')
    expect(functionName('', '', 0)).toBe('(anonymous)')
  })
})

describe('frame files', () => {
  it('turns ESM file URLs into paths that go tool pprof -list can open', () => {
    expect(frameFile('file:///app/src/a%20b.mjs')).toBe('/app/src/a b.mjs')
    expect(frameFile('/app/server.js')).toBe('/app/server.js')
    expect(frameFile('node:internal/timers')).toBe('node:internal/timers')
    expect(frameFile('')).toBe('')
  })
})

describe('frame addresses', () => {
  const frame = { name: 'f', file: '/a.js', line: 3, column: 1, functionLine: 3 }

  it('are stable, nonzero, 16-byte aligned and JS-safe', () => {
    const a = frameAddress(frame)
    expect(frameAddress({ ...frame })).toBe(a)
    expect(a).toBeGreaterThan(0)
    expect(a % 16).toBe(0)
    expect(Number.isSafeInteger(a)).toBe(true)
  })

  it('differ when name, file, line or column differ', () => {
    const all = [frame, { ...frame, name: 'g' }, { ...frame, file: '/b.js' }, { ...frame, line: 4 }, { ...frame, column: 2 }].map(frameAddress)
    expect(new Set(all).size).toBe(all.length)
  })

  it('are the same through the per-profile cache, whatever the order of files', () => {
    const frames = [frame, { ...frame, file: '/b.js' }, { ...frame, name: 'g' }, { ...frame, file: '/b.js', line: 9 }, { ...frame, file: '' }, frame]
    const cached = frameAddresses()
    expect(frames.map(cached)).toEqual(frames.map(frameAddress))
    // The file is part of the hash: the same name and position in another file differ.
    expect(cached(frames[1] as typeof frame)).not.toBe(cached(frame))
  })

  it('map back from address - 1, which pprof asks /symbol about', () => {
    const a = frameAddress(frame)
    expect(slotOf(a)).toBe(a)
    expect(slotOf(a - 1)).toBe(a)
  })
})
