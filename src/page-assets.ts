import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The files of the page at {prefix}/, read once into memory from an explicit
 * allowlist: the page's own code in public/ and the dist files of the
 * libraries it uses. Nothing is looked up by a path from a request.
 */
export interface PageAsset {
  readonly body: Buffer
  readonly contentType: string
}

export interface PageAssets {
  /** Served at {prefix}/ui/<name>. */
  readonly files: ReadonlyMap<string, PageAsset>
  /** The page's HTML template (public/index.html). */
  readonly template: string
  /** CSP hashes of the <style> elements a library inserts by itself. */
  readonly styleHashes: readonly string[]
}

const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'

const HERE = dirname(fileURLToPath(import.meta.url))
// src/ when run from source (tests), dist/ once built: public/ is beside both.
const PUBLIC = join(HERE, '..', 'public')

/** The page's own modules and styles, by name in public/. */
const PAGE_FILES: ReadonlyArray<readonly [string, string]> = [
  ['main.js', JS],
  ['api.js', JS],
  ['format.js', JS],
  ['overview.js', JS],
  ['growth.js', JS],
  ['stall-text.js', JS],
  ['stalls.js', JS],
  ['decode.js', JS],
  ['analysis.js', JS],
  ['top-table.js', JS],
  ['flame.js', JS],
  ['profiles.js', JS],
  ['result-view.js', JS],
  ['page.css', CSS]
]

/**
 * d3-flame-graph's UMD build reads its d3 modules from the global `d3`;
 * each d3 UMD file adds itself there. Concatenated in dependency order, they
 * make one classic script (134 kB minified, 43 kB gzipped) instead of the
 * whole of d3 (280 kB) plus the library.
 */
const FLAMEGRAPH_BUNDLE: ReadonlyArray<readonly [pkg: string, file: string]> = [
  ['internmap', 'dist/internmap.min.js'],
  ['d3-array', 'dist/d3-array.min.js'],
  ['d3-dispatch', 'dist/d3-dispatch.min.js'],
  ['d3-ease', 'dist/d3-ease.min.js'],
  ['d3-format', 'dist/d3-format.min.js'],
  ['d3-hierarchy', 'dist/d3-hierarchy.min.js'],
  ['d3-color', 'dist/d3-color.min.js'],
  ['d3-interpolate', 'dist/d3-interpolate.min.js'],
  ['d3-time', 'dist/d3-time.min.js'],
  ['d3-time-format', 'dist/d3-time-format.min.js'],
  ['d3-scale', 'dist/d3-scale.min.js'],
  ['d3-selection', 'dist/d3-selection.min.js'],
  ['d3-timer', 'dist/d3-timer.min.js'],
  ['d3-transition', 'dist/d3-transition.min.js'],
  ['d3-flame-graph', 'dist/d3-flamegraph.umd.min.js']
]

/**
 * Node's lookup of a package directory: <dir>/node_modules/<name>, then each
 * parent. Needed because d3 packages export only their ESM sources, not the
 * dist files served here.
 */
function packageDir (name: string, from: string): string {
  let dir = from
  for (;;) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`fastify-pprof: cannot find the package ${name} for the page (from ${from})`)
    dir = parent
  }
}

/**
 * The UMD build of d3-flame-graph inserts its stylesheet as a <style>
 * element. The page's CSP allows that one text by its hash rather than with
 * 'unsafe-inline'. A template literal without escapes or substitutions is
 * its own text.
 */
export function insertedStyleHashes (source: string): string[] {
  const hashes: string[] = []
  for (const match of source.matchAll(/\.textContent=`((?:[^`\\$]|\$(?!\{))*)`/g)) {
    const text = (match[1] as string).replace(/\r\n?/g, '\n')
    hashes.push(`'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`)
  }
  return hashes
}

let cached: PageAssets | undefined

/** Reads every file once per process; registrations share the buffers. */
export function loadPageAssets (): PageAssets {
  if (cached !== undefined) return cached
  const files = new Map<string, PageAsset>()
  for (const [name, contentType] of PAGE_FILES) {
    files.set(name, { body: readFileSync(join(PUBLIC, name)), contentType })
  }

  const root = HERE
  const uplot = packageDir('uplot', root)
  files.set('uplot.js', { body: readFileSync(join(uplot, 'dist/uPlot.iife.min.js')), contentType: JS })
  files.set('uplot.css', { body: readFileSync(join(uplot, 'dist/uPlot.min.css')), contentType: CSS })

  const pprofFormat = packageDir('pprof-format', root)
  files.set('pprof-format.js', { body: readFileSync(join(pprofFormat, 'dist/esm/index.js')), contentType: JS })

  // d3 modules are resolved from d3-flame-graph's own directory, as Node would.
  const flame = packageDir('d3-flame-graph', root)
  const parts = FLAMEGRAPH_BUNDLE.map(([pkg, file]) => {
    const dir = pkg === 'd3-flame-graph' ? flame : packageDir(pkg, flame)
    return `/* ${pkg}/${file} */\n${readFileSync(join(dir, file), 'utf8')}`
  })
  const bundle = parts.join('\n;\n')
  files.set('flamegraph.js', { body: Buffer.from(bundle, 'utf8'), contentType: JS })
  files.set('flamegraph.css', { body: readFileSync(join(flame, 'dist/d3-flamegraph.css')), contentType: CSS })

  cached = {
    files,
    template: readFileSync(join(PUBLIC, 'index.html'), 'utf8'),
    styleHashes: insertedStyleHashes(parts[parts.length - 1] as string)
  }
  return cached
}
