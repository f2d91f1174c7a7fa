import type { LoadedEngine } from './index.js'

/** The engine as /stats, the page and logs show it: its name and why faster ones were passed over. */
export function passedOverText (loaded: LoadedEngine): string[] {
  return loaded.passedOver.map((p) => `${p.name}: ${p.reason}`)
}

/**
 * The one warning a registration logs when npm pprof (the fast engine) did
 * not load, naming the fix; undefined when it runs, or when another engine was
 * asked for by name.
 */
export function engineWarning (loaded: LoadedEngine): string | undefined {
  const pprof = loaded.passedOver.find((p) => p.name === 'pprof')
  if (pprof === undefined) return undefined
  const why = pprof.reason === 'not installed' ? 'is not installed' : `will not load (${pprof.reason})`
  const cost = loaded.engine.name === 'inspector'
    ? ' through the inspector, which runs a full garbage collection before every heap profile'
    : ` from ${loaded.engine.name}`
  return `fastify-pprof: the fast heap engine, npm pprof, ${why}; heap profiles come${cost}. ` +
    'To build pprof: install python3, make and a C++ compiler, then run `npm rebuild pprof` ' +
    '(with npm 11, approve its install script first: `npm approve-scripts pprof`).'
}
