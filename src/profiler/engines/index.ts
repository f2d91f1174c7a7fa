import { loadInspectorEngine } from './inspector.js'
import { loadNativeEngine } from './native.js'
import { HEAP_ENGINE_NAMES, type HeapEngine, type HeapEngineName } from './types.js'

export { HEAP_ENGINE_NAMES, type AllocationNode, type HeapEngine, type HeapEngineName } from './types.js'

/** Forces one engine for the whole process (read once, at the first registration). */
export const HEAP_ENGINE_ENV = 'FASTIFY_PPROF_HEAP_ENGINE'

export interface PassedOver {
  readonly name: HeapEngineName
  readonly reason: string
}

export interface LoadedEngine {
  readonly engine: HeapEngine
  /** Faster engines that would not load, and why. */
  readonly passedOver: readonly PassedOver[]
}

const LOADERS: Readonly<Record<HeapEngineName, () => HeapEngine>> = {
  pprof: () => loadNativeEngine('pprof'),
  '@datadog/pprof': () => loadNativeEngine('@datadog/pprof'),
  inspector: loadInspectorEngine
}

/** One line a user can act on: a missing package, an addon never built or built for another Node. */
function reasonOf (name: HeapEngineName, err: unknown): string {
  const e = err as { code?: string, message?: string }
  if (e.code === 'MODULE_NOT_FOUND' && e.message?.startsWith(`Cannot find module '${name}'`) === true) return 'not installed'
  // The bindings package ends its first line with "Tried:" and a list of paths.
  const line = (String(e.message ?? err).split('\n')[0] ?? '').replace(/\s*Tried:$/, '')
  return line.length > 200 ? line.slice(0, 197) + '...' : line
}

/**
 * The first engine that loads, fastest first: npm pprof (built by node-gyp at
 * install), @datadog/pprof (prebuilt addons), then the inspector (no addon).
 * `requested` (the FASTIFY_PPROF_HEAP_ENGINE value) forces one and fails if
 * it will not load.
 */
export function loadHeapEngine (requested: string | undefined): LoadedEngine {
  if (requested !== undefined && requested !== '' && requested !== 'auto') {
    if (!(HEAP_ENGINE_NAMES as readonly string[]).includes(requested)) {
      throw new Error(`${HEAP_ENGINE_ENV}=${requested}: must be auto, ${HEAP_ENGINE_NAMES.join(', ')}`)
    }
    const name = requested as HeapEngineName
    try {
      return { engine: LOADERS[name](), passedOver: [] }
    } catch (err) {
      throw new Error(`${HEAP_ENGINE_ENV}=${name}, but it will not load: ${reasonOf(name, err)}`)
    }
  }
  const passedOver: PassedOver[] = []
  for (const name of HEAP_ENGINE_NAMES) {
    try {
      return { engine: LOADERS[name](), passedOver }
    } catch (err) {
      passedOver.push({ name, reason: reasonOf(name, err) })
    }
  }
  // The inspector is part of Node: reaching this line means Node was built without it.
  throw new Error(`no heap engine loads: ${passedOver.map((p) => `${p.name}: ${p.reason}`).join('; ')}`)
}
