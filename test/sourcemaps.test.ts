// Source maps (issue #7): heap and CPU profiles of an app compiled from TypeScript name the .ts file, line and
// function, for tsc's CommonJS and ESM output, inline maps, an esbuild bundle and an output directory below the
// working directory; missing or broken maps leave frames as they were.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  decodedMappings, type EncodedSourceMap, encodedMappings, generatedPositionFor, presortedDecodedMap, type SourceMapSegment, TraceMap
} from '@jridgewell/trace-mapping'
import fc from 'fast-check'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Slicer } from '../src/cooperative.js'
import { type Frame, FrameTable } from '../src/pprof/frames.js'
import { createFrameMapper, type FrameMapper, SourceMapFrameMapper } from '../src/sourcemaps/index.js'
import { CHUNK_LINES, decodeLines, indexLines } from '../src/sourcemaps/lines.js'
import { decodeDataUrl, findMapComment } from '../src/sourcemaps/find.js'
import { decodeProfile, int64, type Decoded } from './support/decode.js'
import { describeRun, goPprof, requireGo } from './support/go-pprof.js'
import {
  bundleWithEsbuild, compileWithTsc, fixtureFunctionLines, fixtureLine, REPO, startApp, type RunningApp
} from './support/sourcemap-app.js'

const haveGo = requireGo()

interface LeafRow {
  name: string
  file: string
  /** Line of the location. */
  line: number
  /** Start line of the function. */
  startLine: number
  value: number
}

/** Flat values per leaf location (function name, file, line), largest first. */
function leafRows (decoded: Decoded, type: string): LeafRow[] {
  const { profile, strings } = decoded
  const k = profile.sampleType.findIndex((t) => strings[Number(t.type)] === type)
  if (k === -1) throw new Error(`no sample type ${type}`)
  const functions = new Map(profile.function.map((f) => [Number(f.id), f]))
  const locations = new Map(profile.location.map((l) => [Number(l.id), l]))
  const rows = new Map<string, LeafRow>()
  for (const sample of profile.sample) {
    const location = locations.get(Number(sample.locationId[0]))
    const line = location?.line[0]
    const fn = functions.get(Number(line?.functionId))
    if (line === undefined || fn === undefined) continue
    const row = {
      name: strings[Number(fn.name)] ?? '?',
      file: strings[Number(fn.filename)] ?? '?',
      line: Number(line.line),
      startLine: Number(fn.startLine),
      value: 0
    }
    const key = `${row.name}\0${row.file}\0${row.line}`
    const existing = rows.get(key) ?? row
    existing.value += int64(sample.value[k] ?? 0)
    rows.set(key, existing)
  }
  return [...rows.values()].sort((a, b) => b.value - a.value)
}

/** Flat value per function name and file, largest first. */
function functionTotals (rows: LeafRow[]): Array<{ name: string, file: string, value: number }> {
  const totals = new Map<string, { name: string, file: string, value: number }>()
  for (const row of rows) {
    const key = `${row.name}\0${row.file}`
    const total = totals.get(key) ?? { name: row.name, file: row.file, value: 0 }
    total.value += row.value
    totals.set(key, total)
  }
  return [...totals.values()].sort((a, b) => b.value - a.value)
}

async function fetchProfile (app: RunningApp, path: string): Promise<Buffer> {
  const res = await fetch(app.base + path)
  const body = Buffer.from(await res.arrayBuffer())
  expect(res.status, `${path}: ${body.toString().slice(0, 500)}\n${app.output()}`).toBe(200)
  return body
}

async function heapProfile (app: RunningApp): Promise<Buffer> {
  return await fetchProfile(app, '/debug/heap?gc=1')
}

async function cpuProfile (app: RunningApp): Promise<Buffer> {
  const res = await fetch(`${app.base}/burn?seconds=4`)
  expect(res.status).toBe(200)
  return await fetchProfile(app, '/debug/profile?seconds=2')
}

let root: string
let retainLine: number
let burnLines: [number, number]

beforeAll(async () => {
  // The fixture apps import the built plugin (node_modules/fastify-pprof links to this repository).
  if (!existsSync(join(REPO, 'dist/index.js'))) throw new Error('no dist/index.js: run `npm run build` (npm test does)')
  root = await mkdtemp(join(tmpdir(), 'fastify-pprof-sourcemaps-'))
  retainLine = await fixtureLine('work.ts', 'export function retainRows ')
  burnLines = await fixtureFunctionLines('work.ts', 'burnCpu')
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

interface AppCase {
  title: string
  /** Builds the app into `dir`; returns its entry file. */
  build: (dir: string) => Promise<string>
  /** The mapped source of work.ts, relative to `dir`. */
  source: string
  env?: (dir: string) => Record<string, string>
}

const CASES: AppCase[] = [
  {
    title: 'tsc to CommonJS with .js.map files, output in dist/ below the working directory',
    build: async (dir) => await compileWithTsc(dir, { type: 'commonjs', ext: '.ts' }),
    source: 'src/work.ts'
  },
  {
    title: 'tsc to ESM .mjs with .mjs.map files',
    build: async (dir) => await compileWithTsc(dir, { type: 'commonjs', ext: '.mts' }),
    source: 'src/work.mts'
  },
  {
    title: 'tsc to ESM .js with inline data: maps, searchDirs set to the output directory',
    build: async (dir) => await compileWithTsc(dir, { type: 'module', ext: '.ts', inline: true }),
    source: 'src/work.ts',
    env: (dir) => ({ SEARCH_DIR: join(dir, 'dist') })
  },
  {
    title: 'an esbuild bundle (ESM, one .mjs.map for both modules)',
    build: async (dir) => await bundleWithEsbuild(dir),
    source: 'src/work.ts'
  }
]

describe.each(CASES)('profiles of a TypeScript app: $title', (c) => {
  let dir: string
  let app: RunningApp

  beforeAll(async () => {
    dir = join(root, c.title.replace(/\W+/g, '-').slice(0, 40))
    const entry = await c.build(dir)
    app = await startApp(dir, entry, c.env?.(dir) ?? {})
  })

  afterAll(async () => {
    await app?.stop()
  })

  it('heap: the allocating function tops inuse_space at its .ts file and declaration line', async () => {
    const rows = leafRows(decodeProfile(await heapProfile(app)), 'inuse_space')
    const top = rows[0]
    expect(top, JSON.stringify(rows.slice(0, 5), null, 1)).toMatchObject({
      name: 'retainRows',
      file: join(dir, c.source),
      line: retainLine,
      startLine: retainLine
    })
  })

  it('cpu: the hot function tops the profile, every sampled line inside it in the .ts file', async () => {
    const rows = leafRows(decodeProfile(await cpuProfile(app)), 'samples')
    const totals = functionTotals(rows)
    expect(totals[0], JSON.stringify(totals.slice(0, 5), null, 1)).toMatchObject({ name: 'burnCpu', file: join(dir, c.source) })
    const burn = rows.filter((r) => r.name === 'burnCpu')
    for (const row of burn) {
      expect(row.file).toBe(join(dir, c.source))
      expect(row.startLine).toBe(burnLines[0])
      expect(row.line).toBeGreaterThanOrEqual(burnLines[0])
      expect(row.line).toBeLessThanOrEqual(burnLines[1])
    }
    // Samples land on the loop body, not all on the declaration.
    expect(burn.some((r) => r.line > burnLines[0] + 5), JSON.stringify(burn)).toBe(true)
  })
})

describe('missing and broken maps', () => {
  let dir: string
  let app: RunningApp
  let generatedRetainLine: number

  beforeAll(async () => {
    dir = join(root, 'broken')
    const entry = await compileWithTsc(dir, { type: 'commonjs', ext: '.ts' })
    // work.js points at a map that is not JSON; server.js's map is gone.
    await writeFile(join(dir, 'dist/work.js.map'), '{"version":3,"sources":["../src/wo')
    await unlink(join(dir, 'dist/server.js.map'))
    const generated = (await readFile(join(dir, 'dist/work.js'), 'utf8')).split('\n')
    generatedRetainLine = generated.findIndex((l) => l.startsWith('function retainRows(')) + 1
    app = await startApp(dir, entry)
  })

  afterAll(async () => {
    await app?.stop()
  })

  it('leave heap frames at the compiled file, and the request succeeds', async () => {
    const rows = leafRows(decodeProfile(await heapProfile(app)), 'inuse_space')
    expect(rows[0], JSON.stringify(rows.slice(0, 5), null, 1)).toMatchObject({ name: 'retainRows', file: join(dir, 'dist/work.js'), line: generatedRetainLine })
    // Nothing of the app maps (the plugin's own dist/ has maps, and its allocations may be sampled).
    const appRows = rows.filter((r) => r.file.startsWith(dir))
    expect(appRows.filter((r) => r.file.endsWith('.ts')), JSON.stringify(appRows, null, 1)).toEqual([])
  })

  it('leave CPU frames at the compiled file, and the request succeeds', async () => {
    const totals = functionTotals(leafRows(decodeProfile(await cpuProfile(app)), 'samples'))
    expect(totals[0]).toMatchObject({ name: 'burnCpu', file: join(dir, 'dist/work.js') })
  })
})

describe.skipIf(!haveGo)('go tool pprof -list shows the TypeScript source', () => {
  let dir: string
  let app: RunningApp

  beforeAll(async () => {
    dir = join(root, 'list')
    const entry = await compileWithTsc(dir, { type: 'commonjs', ext: '.ts' })
    app = await startApp(dir, entry)
  })

  afterAll(async () => {
    await app?.stop()
  })

  it('for the allocating function of a heap profile', async () => {
    const file = join(dir, 'heap.pb.gz')
    await writeFile(file, await heapProfile(app))
    const r = await goPprof(['-list', '^retainRows$', file])
    expect(r.code, describeRun(r)).toBe(0)
    expect(r.stdout, describeRun(r)).toContain(`ROUTINE ======================== retainRows in ${join(dir, 'src/work.ts')}`)
    // The declaration as written in TypeScript (the compiled line has no type annotations), at its line.
    expect(r.stdout, describeRun(r)).toContain(`${retainLine}:export function retainRows (megabytes: number): number {`)
  })

  it('for the hot function of a CPU profile, with samples on its loop lines', async () => {
    const file = join(dir, 'cpu.pb.gz')
    await writeFile(file, await cpuProfile(app))
    const r = await goPprof(['-list', '^burnCpu$', file])
    expect(r.code, describeRun(r)).toBe(0)
    expect(r.stdout, describeRun(r)).toContain(`ROUTINE ======================== burnCpu in ${join(dir, 'src/work.ts')}`)
    expect(r.stdout, describeRun(r)).toContain(`${burnLines[0]}:export function burnCpu (iterations: number): number {`)
    // A loop line with a flat value (a number, not a dot) in pprof's first column.
    expect(r.stdout, describeRun(r)).toMatch(/^\s+\d[\d.]*m?s\s+\S+\s+\d+:\s+[abcd] = \(/m)
  })
})

// The mapper on its own, on frames placed where V8 would place them in the compiled files: a function's start is
// the "(" of its parameters (1-based column), a sampled line of a CPU profile has no column.
describe('the frame mapper on a FrameTable', () => {
  let dir: string
  const out: Record<'cjs' | 'cts' | 'mts' | 'inline' | 'minified', string> = { cjs: '', cts: '', mts: '', inline: '', minified: '' }

  /** The frame of a function's start in a compiled file: its line, and the column of the "(" after its name. */
  async function startFrame (file: string, generatedName: string, name = generatedName): Promise<Frame> {
    const lines = (await readFile(file, 'utf8')).split('\n')
    const needle = `function ${generatedName}(`
    const index = lines.findIndex((l) => l.includes(needle))
    if (index === -1) throw new Error(`${needle} not in ${file}`)
    const column = (lines[index] ?? '').indexOf(needle) + needle.length
    return { name, file, line: index + 1, column, functionLine: index + 1 }
  }

  async function lineOf (file: string, text: string): Promise<number> {
    const index = (await readFile(file, 'utf8')).split('\n').findIndex((l) => l.includes(text))
    if (index === -1) throw new Error(`${text} not in ${file}`)
    return index + 1
  }

  async function mapAll (frames: Frame[], mapper: FrameMapper = new SourceMapFrameMapper(undefined)): Promise<Frame[]> {
    const table = new FrameTable()
    for (const f of frames) table.id(f)
    await mapper.map(table, new Slicer())
    return table.frames
  }

  beforeAll(async () => {
    dir = join(root, 'unit')
    out.cjs = join(await compileWithTsc(join(dir, 'cjs'), { type: 'commonjs', ext: '.ts' }), '../work.js')
    out.cts = join(await compileWithTsc(join(dir, 'cts'), { type: 'commonjs', ext: '.cts' }), '../work.cjs')
    out.mts = join(await compileWithTsc(join(dir, 'mts'), { type: 'commonjs', ext: '.mts' }), '../work.mjs')
    out.inline = join(await compileWithTsc(join(dir, 'inline'), { type: 'module', ext: '.ts', inline: true }), '../work.js')
    out.minified = await bundleWithEsbuild(join(dir, 'minified'), { minify: true })
  })

  it.each([
    ['cjs', '.js with .js.map', 'src/work.ts'],
    ['cts', '.cjs with .cjs.map', 'src/work.cts'],
    ['mts', '.mjs with .mjs.map', 'src/work.mts'],
    ['inline', '.js with an inline base64 data: map', 'src/work.ts']
  ] as const)('maps a function start in %s (%s) to the TypeScript declaration', async (key, _title, source) => {
    const [mapped] = await mapAll([await startFrame(out[key], 'retainRows')])
    expect(mapped).toMatchObject({ name: 'retainRows', file: join(dir, key, source), line: retainLine, functionLine: retainLine })
    expect(mapped?.column).toBeGreaterThan(0)
  })

  it('maps a sampled CPU line without a column to its line, and the function to its start', async () => {
    const start = await startFrame(out.cjs, 'burnCpu')
    const sampled = { ...start, line: await lineOf(out.cjs, 'a = (a * 1103515245 + 12345 + i) % 2147483647'), column: 0 }
    const [, mapped] = await mapAll([start, sampled])
    expect(mapped).toEqual({
      name: 'burnCpu',
      file: join(dir, 'cjs/src/work.ts'),
      line: await fixtureLine('work.ts', 'a = (a * 1103515245 + 12345 + i) % 2147483647'),
      column: 0,
      functionLine: burnLines[0]
    })
  })

  it('charges a line the map skips inside a mapped function to the function start', async () => {
    const file = join(dir, 'skipped/dist/f.js')
    await mkdir(join(dir, 'skipped/dist'), { recursive: true })
    await writeFile(file, 'function f(a) {\n  helper()\n}\n//# sourceMappingURL=f.js.map\n')
    // Line 1, column 0 maps to line 10 of ../src/f.ts; line 2 has no mapping at all.
    await writeFile(`${file}.map`, JSON.stringify({ version: 3, sources: ['../src/f.ts'], names: [], mappings: 'AASA;' }))
    const [, mapped] = await mapAll([
      { name: 'f', file, line: 1, column: 11, functionLine: 1 },
      { name: 'f', file, line: 2, column: 0, functionLine: 1 }
    ])
    expect(mapped).toEqual({ name: 'f', file: join(dir, 'skipped/src/f.ts'), line: 10, column: 0, functionLine: 10 })
  })

  it('maps ESM frames that still carry file:// URLs', async () => {
    const frame = await startFrame(out.mts, 'retainRows')
    const [mapped] = await mapAll([{ ...frame, file: pathToFileURL(frame.file).href }])
    expect(mapped).toMatchObject({ file: join(dir, 'mts/src/work.mts'), line: retainLine })
  })

  it('gives minified functions their names back from the map', async () => {
    const text = await readFile(out.minified, 'utf8')
    const map = new TraceMap(JSON.parse(await readFile(`${out.minified}.map`, 'utf8')) as EncodedSourceMap, pathToFileURL(`${out.minified}.map`).href)
    const frames: Frame[] = []
    for (const name of ['retainRows', 'burnCpu']) {
      const line = await fixtureLine('work.ts', `export function ${name} `)
      const at = generatedPositionFor(map, { source: pathToFileURL(join(dir, 'minified/src/work.ts')).href, line, column: 'export function '.length })
      if (at.line === null) throw new Error(`${name} not in the bundle`)
      const row = text.split('\n')[at.line - 1] ?? ''
      const shortName = /^[\w$]+/.exec(row.slice(at.column))?.[0] ?? ''
      expect(shortName).not.toBe(name)
      frames.push({ name: shortName, file: out.minified, line: at.line, column: at.column + shortName.length + 1, functionLine: at.line })
    }
    const mapped = await mapAll(frames)
    expect(mapped.map((f) => [f.name, f.file, f.line])).toEqual([
      ['retainRows', join(dir, 'minified/src/work.ts'), retainLine],
      ['burnCpu', join(dir, 'minified/src/work.ts'), burnLines[0]]
    ])
  })

  it('names an anonymous function after its original file and line', async () => {
    const file = join(dir, 'anon/dist/handlers.js')
    const source = 'export const handlers: Array<(n: number) => number> = []\n\nhandlers.push(function (n: number): number {\n  return n + 1\n})\n'
    const { outputText, sourceMapText } = ts.transpileModule(source, {
      fileName: 'handlers.ts',
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap: true }
    })
    await mkdir(join(dir, 'anon/dist'), { recursive: true })
    await writeFile(file, outputText)
    await writeFile(`${file}.map`, (sourceMapText ?? '').replace('"sources":["handlers.ts"]', '"sources":["../src/handlers.ts"]'))
    const line = outputText.split('\n').findIndex((l) => l.includes('handlers.push(function (')) + 1
    const column = (outputText.split('\n')[line - 1] ?? '').indexOf('(n)') + 1
    const [mapped] = await mapAll([{ name: '(anonymous handlers.js:' + line + ')', file, line, column, functionLine: line }])
    expect(mapped).toMatchObject({ name: '(anonymous handlers.ts:3)', file: join(dir, 'anon/src/handlers.ts'), line: 3, functionLine: 3 })
  })

  it('finds maps by absolute path, file URL, percent-encoded data: URL, sourceRoot, or <file>.map without a comment', async () => {
    const js = await readFile(out.cjs, 'utf8')
    const mapFile = `${out.cjs}.map`
    const mapJson = JSON.parse(await readFile(mapFile, 'utf8')) as { sources: string[], sourceRoot?: string }
    const body = js.replace(/\/\/# sourceMappingURL=.*\s*$/, '')
    const variants: Array<[string, string, string]> = [
      ['absolute', `${body}//# sourceMappingURL=${mapFile}\n`, join(dir, 'cjs/src/work.ts')],
      ['file-url', `${body}//# sourceMappingURL=${pathToFileURL(mapFile).href}\n`, join(dir, 'cjs/src/work.ts')],
      ['percent', `${body}//# sourceMappingURL=data:application/json;charset=utf-8,${encodeURIComponent(JSON.stringify({ ...mapJson, sources: [join(dir, 'elsewhere/work.ts')] }))}\n`, join(dir, 'elsewhere/work.ts')],
      ['old-style', `${body}//@ sourceMappingURL=${mapFile}\r\n`, join(dir, 'cjs/src/work.ts')],
      ['no-comment', body, join(dir, 'variants/no-comment.ts')]
    ]
    await mkdir(join(dir, 'variants'), { recursive: true })
    await writeFile(join(dir, 'variants/no-comment.js.map'), JSON.stringify({ ...mapJson, sources: ['no-comment.ts'] }))
    await writeFile(join(dir, 'variants/root.js.map'), JSON.stringify({ ...mapJson, sourceRoot: '/srv/app/src/', sources: ['work.ts'] }))
    variants.push(['root', `${body}//# sourceMappingURL=root.js.map\n`, '/srv/app/src/work.ts'])
    // An index map: the compiled file's map as its one section.
    await writeFile(join(dir, 'variants/sections.js.map'), JSON.stringify({ version: 3, sections: [{ offset: { line: 0, column: 0 }, map: { ...mapJson, sources: ['sectioned.ts'] } }] }))
    variants.push(['sections', `${body}//# sourceMappingURL=sections.js.map\n`, join(dir, 'variants/sectioned.ts')])
    const frame = await startFrame(out.cjs, 'retainRows')
    const frames: Frame[] = []
    for (const [name, text] of variants) {
      await writeFile(join(dir, `variants/${name}.js`), text)
      frames.push({ ...frame, file: join(dir, `variants/${name}.js`) })
    }
    const mapped = await mapAll(frames)
    expect(mapped.map((f) => [f.file, f.line])).toEqual(variants.map(([, , source]) => [source, retainLine]))
  })

  it('leaves frames alone when the map is missing, not JSON, not a source map, or says nothing of the line', async () => {
    const js = (await readFile(out.cjs, 'utf8')).replace(/\/\/# sourceMappingURL=.*\s*$/, '')
    const frame = await startFrame(out.cjs, 'retainRows')
    const before = ';'.repeat(frame.line - 1)
    const cases: Array<[string, string | undefined]> = [
      ['missing', undefined],
      ['not-json', '{"version":3,"sources":["../src/wo'],
      ['not-a-map', '[1, 2, 3]'],
      // A source index past the list, then characters that are no VLQ at all, on the frame's line.
      ['bad-source-index', JSON.stringify({ version: 3, sources: ['a.ts'], names: [], mappings: `${before}AKAA` })],
      ['not-vlq', JSON.stringify({ version: 3, sources: ['a.ts'], names: [], mappings: `${before}!!!!,@@@@` })],
      ['sections-of-nothing', JSON.stringify({ version: 3, sections: [{ offset: { line: 0, column: 0 }, map: 5 }] })],
      ['too-short', JSON.stringify({ version: 3, sources: ['a.ts'], names: [], mappings: 'AAAA' })]
    ]
    await mkdir(join(dir, 'bad'), { recursive: true })
    const frames: Frame[] = []
    for (const [name, map] of cases) {
      await writeFile(join(dir, `bad/${name}.js`), `${js}//# sourceMappingURL=${name}.js.map\n`)
      if (map !== undefined) await writeFile(join(dir, `bad/${name}.js.map`), map)
      frames.push({ ...frame, file: join(dir, `bad/${name}.js`) })
    }
    expect(await mapAll(frames)).toEqual(frames)
  })

  it('reads nothing for frames without an absolute path, under node_modules, or outside searchDirs', async () => {
    const frame = await startFrame(out.cjs, 'retainRows')
    const modules = join(dir, 'cjs/node_modules/lib/dist')
    await mkdir(modules, { recursive: true })
    await writeFile(join(modules, 'work.js'), (await readFile(out.cjs, 'utf8')).replace('sourceMappingURL=work.js.map', `sourceMappingURL=${out.cjs}.map`))
    const untouched: Frame[] = [
      { ...frame, file: 'node:internal/timers' },
      { ...frame, file: 'dist/work.js' },
      { ...frame, file: '' },
      { ...frame, file: join(modules, 'work.js') }
    ]
    expect(await mapAll(untouched)).toEqual(untouched)
    // searchDirs: only files below them, node_modules included when a search dir is inside it.
    const scoped = new SourceMapFrameMapper([join(dir, 'cts'), join(dir, 'cjs/node_modules/lib')])
    const mapped = await mapAll([frame, { ...frame, file: join(modules, 'work.js') }], scoped)
    expect(mapped[0]).toEqual(frame)
    expect(mapped[1]?.file).toBe(join(dir, 'cjs/src/work.ts'))
  })

  it('keeps the caches bounded, and forgets them on close', async () => {
    const mapper = new SourceMapFrameMapper(undefined, { maxMaps: 2, maxMisses: 3 })
    const frames = [
      await startFrame(out.cjs, 'retainRows'),
      await startFrame(out.cts, 'retainRows'),
      await startFrame(out.mts, 'retainRows'),
      await startFrame(out.inline, 'retainRows')
    ]
    const missing = Array.from({ length: 5 }, (_, i) => ({ ...frames[0] as Frame, file: join(dir, `nothing-${i}.js`) }))
    for (let round = 0; round < 2; round++) {
      const mapped = await mapAll([...frames, ...missing], mapper)
      expect(mapped.slice(0, 4).every((f) => f.line === retainLine && /\.[cm]?ts$/.test(f.file))).toBe(true)
      expect(mapper.cacheSize).toMatchObject({ maps: 2, misses: 3 })
    }
    mapper.close()
    expect(mapper.cacheSize).toEqual({ maps: 0, bytes: 0, misses: 0 })
    // A map bigger than the whole budget still maps the profile that needed it; it is just not kept.
    const tight = new SourceMapFrameMapper(undefined, { maxBytes: 100 })
    const [mapped] = await mapAll([frames[0] as Frame], tight)
    expect(mapped).toMatchObject({ line: retainLine, file: join(dir, 'cjs/src/work.ts') })
    expect(tight.cacheSize).toEqual({ maps: 0, bytes: 0, misses: 0 })
  })

  it('serves two profiles mapped at once', async () => {
    const mapper = new SourceMapFrameMapper(undefined)
    const frame = await startFrame(out.cjs, 'burnCpu')
    const [a, b] = await Promise.all([mapAll([frame], mapper), mapAll([frame], mapper)])
    expect(a?.[0]).toMatchObject({ file: join(dir, 'cjs/src/work.ts'), line: burnLines[0] })
    expect(b).toEqual(a)
    expect(mapper.cacheSize.maps).toBe(1)
  })
})

describe('sourceMappingURL comments and data: URLs', () => {
  it('takes the last comment, in either form, with trailing blanks', () => {
    expect(findMapComment('a()\n//# sourceMappingURL=a.js.map\n')).toBe('a.js.map')
    expect(findMapComment('const s = "//# sourceMappingURL=wrong.map"\n//# sourceMappingURL=right.map  \r\n\n')).toBe('right.map')
    expect(findMapComment('//# sourceMappingURL=first.map\nx()\n//@ sourceMappingURL=last.map')).toBe('last.map')
    expect(findMapComment('x = "sourceMappingURL=nothing"\n')).toBeUndefined()
    expect(findMapComment('no comment at all')).toBeUndefined()
  })

  it('decodes base64 and percent-encoded JSON, and refuses other types', () => {
    const json = '{"version":3}'
    expect(decodeDataUrl(`data:application/json;base64,${Buffer.from(json).toString('base64')}`)).toBe(json)
    expect(decodeDataUrl(`data:application/json;charset=utf-8;base64,${Buffer.from(json).toString('base64')}`)).toBe(json)
    expect(decodeDataUrl(`data:application/json,${encodeURIComponent(json)}`)).toBe(json)
    expect(decodeDataUrl('data:text/html,<b>')).toBeUndefined()
    expect(decodeDataUrl('data:application/json')).toBeUndefined()
  })
})

describe('createFrameMapper', () => {
  it('is the identity when source maps are off', async () => {
    const mapper = createFrameMapper(false)
    expect(mapper).not.toBeInstanceOf(SourceMapFrameMapper)
    const table = new FrameTable()
    const frame = { name: 'f', file: '/x/y.js', line: 1, column: 1, functionLine: 1 }
    table.id(frame)
    await mapper.map(table, new Slicer())
    expect(table.frames).toEqual([frame])
    expect(createFrameMapper({ searchDirs: undefined })).toBeInstanceOf(SourceMapFrameMapper)
  })
})

describe('decoding only the lines a profile needs', () => {
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

  function reference (mappings: string): SourceMapSegment[][] {
    return decodedMappings(new TraceMap({ version: 3, sources: ['a.ts', 'b.ts', 'c.ts'], names: ['x', 'y', 'z'], mappings })) as SourceMapSegment[][]
  }

  const segment = fc.oneof(
    fc.tuple(fc.nat(300)),
    fc.tuple(fc.nat(300), fc.nat(2), fc.nat(5000), fc.nat(300)),
    fc.tuple(fc.nat(300), fc.nat(2), fc.nat(5000), fc.nat(300), fc.nat(2))
  ) as fc.Arbitrary<SourceMapSegment>

  it('gives every line as trace-mapping decodes it, from any checkpoint, for random maps', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.array(segment, { maxLength: 6 }), { minLength: 1, maxLength: 4 * CHUNK_LINES, size: 'max' }), fc.array(fc.nat(5 * CHUNK_LINES), { size: 'medium' }), async (lines, picks) => {
      const sorted = lines.map((l) => [...l].sort((a, b) => a[0] - b[0]))
      const mappings = encodedMappings(presortedDecodedMap({ version: 3, sources: ['a.ts', 'b.ts', 'c.ts'], names: ['x', 'y', 'z'], mappings: sorted }))
      const expected = reference(mappings)
      const index = indexLines(mappings)
      expect(index.lines).toBe(expected.length)
      expect(await decodeLines(mappings, index, range(index.lines))).toEqual(expected)
      // Some lines only: those match, every other line is empty.
      const some = await decodeLines(mappings, index, picks)
      const picked = new Set(picks)
      expect(some.map((l, i) => picked.has(i) ? l : [])).toEqual(expected.map((l, i) => picked.has(i) ? l : []))
      expect(some.every((l, i) => picked.has(i) || l.length === 0)).toBe(true)
    }), { numRuns: 100 })
  })

  it('gives every line of real tsc and esbuild maps as trace-mapping decodes them', async () => {
    const dir = join(root, 'lines')
    const maps = [
      `${join(await compileWithTsc(join(dir, 'tsc'), { type: 'commonjs', ext: '.ts' }), '../work.js')}.map`,
      `${await bundleWithEsbuild(join(dir, 'bundle'))}.map`,
      `${await bundleWithEsbuild(join(dir, 'minified'), { minify: true })}.map`
    ]
    for (const file of maps) {
      const { mappings } = JSON.parse(await readFile(file, 'utf8')) as { mappings: string }
      const index = indexLines(mappings)
      expect(await decodeLines(mappings, index, range(index.lines)), file).toEqual(reference(mappings))
    }
  })
})
