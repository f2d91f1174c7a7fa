// The plugin's own allocation sites (src/leaks/own.ts) are never suspects, never charted and never in "what grew
// since": its code, as a path and as a file URL, and node:inspector's answer parsing (the census's and the
// inspector engine's protocol answers). Anything else, node:internal included, is the app's.
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { chargedFrame, isOwn, ownStack } from '../src/leaks/own.js'

const census = fileURLToPath(new URL('../src/census/walk.ts', import.meta.url))

describe('isOwn', () => {
  it('is the plugin\'s code by path or URL, and node:inspector', () => {
    expect(isOwn(census)).toBe(true)
    expect(isOwn(pathToFileURL(census).href)).toBe(true)
    expect(isOwn('node:inspector')).toBe(true)
  })

  it('is not the app, its dependencies, or the rest of Node', () => {
    for (const file of [fileURLToPath(new URL('../demo/leaks.js', import.meta.url)), '/srv/app/node_modules/fastify/lib/route.js',
      'node:_http_common', 'node:internal/inspector_async_hook', 'node:inspector/promises', '', 'inspector']) {
      expect(isOwn(file), file).toBe(false)
    }
  })

  it('charges a builtin leaf (no file) to the first frame up with one: the census\'s WeakRefs are its own, an app\'s are the app\'s', () => {
    const app = fileURLToPath(new URL('../demo/leaks.js', import.meta.url))
    expect(ownStack([{ file: '' }, { file: census }, { file: app }])).toBe(true)
    expect(ownStack([{ file: '' }, { file: '' }, { file: app }, { file: census }])).toBe(false)
    expect(ownStack([{ file: app }, { file: census }])).toBe(false)
    expect(ownStack([{ file: '' }])).toBe(false)
    expect(ownStack([])).toBe(false)
  })

  it('charges the plugin\'s builtin leaf to its first framed frame, and anything else to its leaf', () => {
    const app = fileURLToPath(new URL('../demo/leaks.js', import.meta.url))
    const weakRef = { file: '', name: 'WeakRef' }
    expect(chargedFrame([weakRef, { file: census, name: 'walk' }, { file: app, name: 'main' }]).name).toBe('walk')
    expect(chargedFrame([weakRef, { file: app, name: 'remember' }, { file: census, name: 'walk' }]).name).toBe('WeakRef')
    expect(chargedFrame([{ file: app, name: 'remember' }]).name).toBe('remember')
    expect(chargedFrame([weakRef]).name).toBe('WeakRef')
    expect(() => chargedFrame([])).toThrow(RangeError)
  })
})
