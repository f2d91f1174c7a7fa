// The heap engines on their own: each reads V8's one sampler and reports a
// known retained amount where it was allocated; the inspector's JSON comes out
// as the native tree; loading and the warning say what the user must know.
import { describe, expect, it } from 'vitest'
import { engineWarning, passedOverText } from '../src/profiler/engines/advice.js'
import { HEAP_ENGINE_NAMES, type AllocationNode, type HeapEngine, loadHeapEngine } from '../src/profiler/engines/index.js'
import { scaledCount, splitSample } from '../src/profiler/engines/sampling-profile.js'
import { samplerRunning } from './support/heap-sampler.js'

const INTERVAL = 128 * 1024

interface Cell { id: number, name: string, next: Cell | null }
let kept: Cell[] = []

// A plain loop in a function too big to inline (pitfalls.md): V8 charges the cells to it.
function retainCellsForEngineTest (count: number): void {
  let previous: Cell | null = null
  for (let i = 0; i < count; i++) {
    const cell: Cell = { id: i, name: 'cell', next: i % 100 === 0 ? null : previous }
    kept.push(cell)
    previous = cell
  }
}

/** Objects and bytes V8 holds per function name, all positions and stacks summed. */
function perFunction (root: AllocationNode): Map<string, { objects: number, bytes: number }> {
  const out = new Map<string, { objects: number, bytes: number }>()
  const pending = [root]
  while (pending.length > 0) {
    const node = pending.pop() as AllocationNode
    for (const a of node.allocations) {
      const entry = out.get(node.name) ?? { objects: 0, bytes: 0 }
      entry.objects += a.count
      entry.bytes += a.count * a.sizeBytes
      out.set(node.name, entry)
    }
    pending.push(...node.children)
  }
  return out
}

function withEngine<T> (engine: HeapEngine, work: () => T): T {
  expect(samplerRunning()).toBe(false)
  expect(engine.claim(INTERVAL, 64)).toBe(true)
  try {
    return work()
  } finally {
    engine.unclaim()
    kept = []
  }
}

describe('heap engines', () => {
  it.each(HEAP_ENGINE_NAMES)('%s reads V8\'s sampler: a known retained amount, charged to the function that allocated it', (name) => {
    const { engine, passedOver } = loadHeapEngine(name)
    expect(engine.name).toBe(name)
    expect(passedOver).toEqual([])
    const cells = 200_000
    const found = withEngine(engine, () => {
      retainCellsForEngineTest(cells)
      return perFunction(engine.read(INTERVAL)).get('retainCellsForEngineTest')
    })
    expect(samplerRunning()).toBe(false)
    // 200k cells of 40 bytes (map, properties, elements, three fields) plus the array that holds them.
    expect(found?.bytes).toBeGreaterThan(cells * 40 * 0.6)
    expect(found?.bytes).toBeLessThan(cells * 56 * 1.6)
    expect(found?.objects).toBeGreaterThan(cells * 0.4)
    expect(found?.objects).toBeLessThan(cells * 3)
  })

  it('the inspector\'s JSON becomes the same tree as the native read of the same sampler: the same bytes per function, counts estimated', () => {
    const native = loadHeapEngine('@datadog/pprof').engine
    const inspector = loadHeapEngine('inspector').engine
    const [a, b] = withEngine(native, () => {
      retainCellsForEngineTest(100_000)
      // The inspector reads the sampler the native engine started (no force-GC flag): the same samples, twice.
      return [perFunction(native.read(INTERVAL)), perFunction(inspector.read(INTERVAL))]
    })
    const mine = a.get('retainCellsForEngineTest')
    expect(mine?.bytes).toBeGreaterThan(0)
    // V8 rounds the scaled count once per object size natively, once per sample in the inspector's JSON.
    expect(Math.abs((b.get('retainCellsForEngineTest')?.bytes ?? 0) - (mine?.bytes ?? 0))).toBeLessThan((mine?.bytes ?? 0) * 0.005)
    const objects = b.get('retainCellsForEngineTest')?.objects ?? 0
    expect(objects).toBeGreaterThan((mine?.objects ?? 0) / 3)
    expect(objects).toBeLessThan((mine?.objects ?? 0) * 3)
  })

  it('a forced engine that is unknown or will not load is an error naming the variable', () => {
    expect(() => loadHeapEngine('v8')).toThrow(/FASTIFY_PPROF_HEAP_ENGINE=v8: must be auto, pprof, @datadog\/pprof, inspector/)
    expect(loadHeapEngine('auto').engine.name).toBe(loadHeapEngine(undefined).engine.name)
  })
})

describe('the inspector\'s samples', () => {
  it('splitSample keeps every byte and finds V8\'s count exactly where one object size fits', () => {
    const r = 512 * 1024
    for (let size = 8; size <= 1 << 22; size = Math.ceil(size * 1.07 / 8) * 8) {
      const bytes = size * scaledCount(size, r)
      const { sizeBytes, count } = splitSample(bytes, r)
      expect(Math.abs(sizeBytes * count - bytes)).toBeLessThan(1e-6 * bytes)
      expect(count).toBeGreaterThanOrEqual(1)
    }
    // 56-byte objects: 9363 per sample, and no other aligned size gives 524328 bytes.
    expect(splitSample(56 * 9363, r)).toEqual({ sizeBytes: 56, count: 9363 })
    // A 4 MB object is one object.
    expect(splitSample(4 << 20, r)).toEqual({ sizeBytes: 4 << 20, count: 1 })
  })
})

describe('the fast-engine warning', () => {
  const inspector = { name: 'inspector' } as HeapEngine
  const datadog = { name: '@datadog/pprof' } as HeapEngine

  it('names the fix when npm pprof is missing or broken, and what the fallback costs', () => {
    const missing = engineWarning({ engine: datadog, passedOver: [{ name: 'pprof', reason: 'not installed' }] })
    expect(missing).toMatch(/npm pprof, is not installed; heap profiles come from @datadog\/pprof/)
    expect(missing).toContain('python3, make and a C++ compiler, then run `npm rebuild pprof`')
    expect(missing).toContain('npm approve-scripts pprof')
    const broken = engineWarning({ engine: inspector, passedOver: [{ name: 'pprof', reason: 'Could not locate the bindings file' }, { name: '@datadog/pprof', reason: 'no prebuild' }] })
    expect(broken).toMatch(/will not load \(Could not locate the bindings file\); heap profiles come through the inspector, which runs a full garbage collection/)
    expect(passedOverText({ engine: inspector, passedOver: [{ name: 'pprof', reason: 'x' }] })).toEqual(['pprof: x'])
  })

  it('says nothing when npm pprof runs, or when an engine was asked for by name', () => {
    expect(engineWarning({ engine: { name: 'pprof' } as HeapEngine, passedOver: [] })).toBeUndefined()
    expect(engineWarning({ engine: inspector, passedOver: [] })).toBeUndefined()
  })
})
