// What source maps cost a profile: the plugin's frame mapper (dist/sourcemaps) on FrameTables of thousands of frames
// pointing into TypeScript compiled by tsc (one .js + .js.map per module) and into one esbuild bundle of the same
// modules. Standalone, no server: `npm run build && node bench/sourcemap-cost.js [--files=200] [--fns=10] [--reps=5]`.
//
// cold = a new mapper (every map read and parsed on the way); warm = the same mapper again on a new table (maps
// kept encoded, decoded again for the profile, positions looked up again). Frames per profile: per function one
// heap-style frame (its start, with a column) and three CPU-style frames (sampled lines, no column), plus 20 % frames
// that are never mapped (node:, node_modules). The stall is the longest gap of a 1 ms interval timer while mapping
// (GC pauses included); kept = what the mapper holds between profiles (characters of encoded mappings, names and
// sources, and line checkpoints). Files are generated here; the measurement runs in a child process (node --expose-gc) that
// loads only the plugin's dist, so the compiler's heap does not weigh on its GC.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const arg = (name, fallback) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`))
  return hit === undefined ? fallback : Number(hit.slice(name.length + 3))
}
const FILES = arg('files', 200)
const FNS = arg('fns', 10)
const REPS = arg('reps', 5)

const MEASURE = process.argv.find((a) => a.startsWith('--measure='))?.slice('--measure='.length)

const dist = fileURLToPath(new URL('../dist/', import.meta.url))
if (!existsSync(join(dist, 'sourcemaps/index.js'))) {
  console.error('bench/sourcemap-cost.js: no dist/sourcemaps: run `npm run build` first')
  process.exit(1)
}

function moduleSource (m) {
  const lines = [`// module ${m}`, 'interface Acc { total: number, count: number }', '']
  for (let f = 0; f < FNS; f++) {
    lines.push(
      `export function f${m}_${f} (n: number): Acc {`,
      '  const acc: Acc = { total: 0, count: 0 }',
      '  for (let i = 0; i < n; i++) {',
      `    acc.total += (i * ${f + 3}) % ${m + 7}`,
      '    acc.count++',
      '  }',
      '  return acc',
      '}',
      ''
    )
  }
  return lines.join('\n')
}

/** Frames of every generated function in `text` (at `file`): its start, and three lines of its body. */
function framesOf (file, text, names) {
  const lines = text.split('\n')
  const frames = []
  for (const name of names) {
    const needle = `function ${name}(`
    const index = lines.findIndex((l) => l.includes(needle))
    if (index === -1) throw new Error(`${needle} not in ${file}`)
    const column = lines[index].indexOf(needle) + needle.length
    const start = { name, file, line: index + 1, column, functionLine: index + 1 }
    frames.push(start)
    for (const offset of [2, 3, 4]) frames.push({ ...start, line: index + 1 + offset, column: 0 })
  }
  return frames
}

function withUnmapped (frames) {
  const extra = []
  for (let i = 0; i < frames.length / 4; i++) {
    extra.push(i % 2 === 0
      ? { name: `internal${i}`, file: 'node:internal/timers', line: i + 1, column: 1, functionLine: i + 1 }
      : { name: `lib${i}`, file: `/srv/app/node_modules/lib/dist/m${i % 50}.js`, line: i + 1, column: 1, functionLine: i + 1 })
  }
  return [...frames, ...extra]
}

async function timeMap (mapper, frames) {
  const { FrameTable } = await import(join(dist, 'pprof/frames.js'))
  const { Slicer } = await import(join(dist, 'cooperative.js'))
  const table = new FrameTable()
  for (const f of frames) table.id(f)
  let last = performance.now()
  let stall = 0
  const watchdog = setInterval(() => {
    const now = performance.now()
    stall = Math.max(stall, now - last)
    last = now
  }, 1)
  const t0 = performance.now()
  await mapper.map(table, new Slicer())
  const ms = performance.now() - t0
  clearInterval(watchdog)
  stall = Math.max(stall, performance.now() - last)
  const mapped = table.frames.filter((f) => f.file.endsWith('.ts')).length
  return { ms, stall, mapped }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function measure (label, frames) {
  const { SourceMapFrameMapper } = await import(join(dist, 'sourcemaps/index.js'))
  const colds = []
  const warms = []
  const coldStalls = []
  const warmStalls = []
  let mapped = 0
  let keptKiB = 0
  for (let r = 0; r < REPS; r++) {
    const mapper = new SourceMapFrameMapper(undefined)
    globalThis.gc?.()
    const cold = await timeMap(mapper, frames)
    const warm = await timeMap(mapper, frames)
    // What the store holds between profiles: encoded mappings, names, sources and line checkpoints.
    keptKiB = mapper.cacheSize.bytes / 1024
    colds.push(cold.ms)
    warms.push(warm.ms)
    coldStalls.push(cold.stall)
    warmStalls.push(warm.stall)
    mapped = warm.mapped
    mapper.close()
  }
  const cell = (xs) => `${median(xs).toFixed(1)} (${(median(xs) / frames.length * 1000).toFixed(2)})`
  return `| ${label} | ${frames.length} | ${mapped} | ${cell(colds)} | ${cell(warms)} | ${median(coldStalls).toFixed(1)} / ${median(warmStalls).toFixed(1)} | ${keptKiB.toFixed(0)} |`
}

async function generate (dir) {
  const esbuild = await import('esbuild')
  const { default: ts } = await import('typescript')
  await mkdir(join(dir, 'src'))
  await mkdir(join(dir, 'dist'))
  const perModule = []
  const names = []
  for (let m = 0; m < FILES; m++) {
    const source = moduleSource(m)
    await writeFile(join(dir, `src/mod${m}.ts`), source)
    const { outputText, sourceMapText } = ts.transpileModule(source, {
      fileName: `mod${m}.ts`,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap: true }
    })
    const file = join(dir, `dist/mod${m}.js`)
    await writeFile(file, outputText)
    await writeFile(`${file}.map`, sourceMapText.replace(`"sources":["mod${m}.ts"]`, `"sources":["../src/mod${m}.ts"]`))
    const fnNames = Array.from({ length: FNS }, (_, f) => `f${m}_${f}`)
    names.push(...fnNames)
    perModule.push(...framesOf(file, outputText, fnNames))
  }
  await writeFile(join(dir, 'src/index.ts'), Array.from({ length: FILES }, (_, m) => `export * from './mod${m}.js'`).join('\n'))
  const bundle = join(dir, 'bundle/app.js')
  await esbuild.build({ entryPoints: [join(dir, 'src/index.ts')], bundle: true, platform: 'node', format: 'esm', sourcemap: true, outfile: bundle, logLevel: 'silent' })
  const bundleFrames = framesOf(bundle, await readFile(bundle, 'utf8'), names)
  const mapKiB = (await readFile(`${bundle}.map`)).length / 1024
  await writeFile(join(dir, 'frames.json'), JSON.stringify([
    [`tsc, ${FILES} files (.js + .js.map)`, withUnmapped(perModule)],
    [`esbuild bundle, one ${mapKiB.toFixed(0)} KiB map`, withUnmapped(bundleFrames)]
  ]))
}

if (MEASURE !== undefined) {
  const cases = JSON.parse(await readFile(join(MEASURE, 'frames.json'), 'utf8'))
  for (const [label, frames] of cases) console.log(await measure(label, frames))
} else {
  const dir = await mkdtemp(join(tmpdir(), 'fastify-pprof-bench-sourcemaps-'))
  try {
    await generate(dir)
    const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), `--measure=${dir}`, ...process.argv.slice(2)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    if (child.status !== 0) throw new Error(`measurement failed (exit ${child.status})`)
    console.log(`\nSource-map cost: median of ${REPS}, ${FILES} modules x ${FNS} functions, Node ${process.version}`)
    console.log('\n| profile | frames | mapped | cold ms (per 1000 frames) | warm ms (per 1000 frames) | longest stall ms cold / warm | maps kept KiB |')
    console.log('|---|---:|---:|---:|---:|---:|---:|')
    process.stdout.write(child.stdout)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
