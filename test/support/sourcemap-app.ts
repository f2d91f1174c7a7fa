// Builds the TypeScript fixture app of test/fixtures/sourcemaps the ways users ship TypeScript (tsc to
// CommonJS, tsc to ESM, an esbuild bundle) into a temporary directory, and runs it as its own process.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'
import ts from 'typescript'
import { stopChild } from './child.js'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
export const FIXTURES = join(REPO, 'test/fixtures/sourcemaps')
export const FIXTURE_FILES = ['work.ts', 'server.ts'] as const

/** 1-based line of the first line of `file` (a fixture) that contains `text`. */
export async function fixtureLine (file: string, text: string): Promise<number> {
  const lines = (await readFile(join(FIXTURES, file), 'utf8')).split('\n')
  const index = lines.findIndex((l) => l.includes(text))
  if (index === -1) throw new Error(`${text} not in ${file}`)
  return index + 1
}

/** First and last 1-based line of a function in a fixture (from its declaration to the first `}` at column 0). */
export async function fixtureFunctionLines (file: string, name: string): Promise<[number, number]> {
  const lines = (await readFile(join(FIXTURES, file), 'utf8')).split('\n')
  const start = lines.findIndex((l) => l.startsWith(`export function ${name} `) || l.startsWith(`function ${name} `))
  if (start === -1) throw new Error(`no function ${name} in ${file}`)
  const end = lines.findIndex((l, i) => i > start && l === '}')
  return [start + 1, end + 1]
}

/** node_modules/fastify and node_modules/fastify-pprof in `dir`, linked to this repository. */
async function linkModules (dir: string): Promise<void> {
  await mkdir(join(dir, 'node_modules'), { recursive: true })
  await symlink(join(REPO, 'node_modules/fastify'), join(dir, 'node_modules/fastify'), 'dir')
  await symlink(REPO, join(dir, 'node_modules/fastify-pprof'), 'dir')
}

export interface TscBuild {
  /** package.json "type" of the app. */
  type: 'commonjs' | 'module'
  /** Source extension: .mts emits .mjs with .mjs.map, .cts emits .cjs with .cjs.map. */
  ext: '.ts' | '.mts' | '.cts'
  /** A `data:` URL in the output instead of a .map file next to it. */
  inline?: boolean
}

/**
 * Copies the fixture sources to `dir/src` and compiles them with the TypeScript API, as `tsc` with rootDir src and
 * outDir dist would (module NodeNext: the format follows package.json and the extension). Type errors are ignored:
 * only the output and its maps matter. Returns the path of the compiled server.
 */
export async function compileWithTsc (dir: string, build: TscBuild): Promise<string> {
  await mkdir(join(dir, 'src'), { recursive: true })
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'sourcemap-fixture', private: true, type: build.type }))
  await linkModules(dir)
  const outExt = { '.ts': '.js', '.mts': '.mjs', '.cts': '.cjs' }[build.ext]
  const roots: string[] = []
  for (const file of FIXTURE_FILES) {
    const source = (await readFile(join(FIXTURES, file), 'utf8')).replaceAll("from './work.js'", `from './work${outExt}'`)
    const target = join(dir, 'src', file.replace(/\.ts$/, build.ext))
    await writeFile(target, source)
    roots.push(target)
  }
  const program = ts.createProgram(roots, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    rootDir: join(dir, 'src'),
    outDir: join(dir, 'dist'),
    sourceMap: build.inline !== true,
    inlineSourceMap: build.inline === true,
    noLib: true,
    noResolve: true,
    types: [],
    skipLibCheck: true
  })
  const result = program.emit()
  if (result.emitSkipped) throw new Error('tsc emitted nothing')
  return join(dir, 'dist', `server${outExt}`)
}

/** Copies the fixture sources to `dir/src` and bundles them with esbuild into `dir/bundle/app.mjs` + `.mjs.map`. */
export async function bundleWithEsbuild (dir: string, options: esbuild.BuildOptions = {}): Promise<string> {
  await mkdir(join(dir, 'src'), { recursive: true })
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'sourcemap-fixture', private: true, type: 'commonjs' }))
  await linkModules(dir)
  for (const file of FIXTURE_FILES) await writeFile(join(dir, 'src', file), await readFile(join(FIXTURES, file), 'utf8'))
  const outfile = join(dir, 'bundle/app.mjs')
  await esbuild.build({
    entryPoints: [join(dir, 'src/server.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['fastify', 'fastify-pprof'],
    sourcemap: true,
    outfile,
    logLevel: 'silent',
    ...options
  })
  return outfile
}

export interface RunningApp {
  readonly base: string
  readonly process: ChildProcess
  output (): string
  stop (): Promise<void>
}

/** Runs `node <entry>` with `cwd` and waits for its `listening <port>` line. */
export async function startApp (cwd: string, entry: string, env: Record<string, string> = {}): Promise<RunningApp> {
  const child = spawn(process.execPath, [entry], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const deadline = Date.now() + 30_000
  let port: string | undefined
  while (port === undefined) {
    port = /listening (\d+)/.exec(out)?.[1]
    if (port !== undefined) break
    if (child.exitCode !== null) throw new Error(`app exited: ${out}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`app did not start: ${out}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    base: `http://127.0.0.1:${port}`,
    process: child,
    output: () => out,
    stop: async () => await stopChild(child)
  }
}
