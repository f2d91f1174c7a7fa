// Runs the real `go tool pprof` (Debian golang-go, go1.19) for interop tests, and parses its `-top` output.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireTool } from './require-tool.js'

export interface GoPprofResult {
  /** Exit code; null when the process was killed (see `timedOut`). */
  code: number | null
  stdout: string
  stderr: string
  timedOut: boolean
}

export interface GoPprofOptions {
  /** Kill `go tool pprof` after this long. Default 45 s. */
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
}

/**
 * Runs `go tool pprof ...args` with a private PPROF_TMPDIR (pprof saves every fetched profile there,
 * otherwise under $HOME/pprof), removed afterwards. Never rejects on a non-zero exit: callers assert on `code`.
 */
export async function goPprof (args: string[], opts: GoPprofOptions = {}): Promise<GoPprofResult> {
  const timeoutMs = opts.timeoutMs ?? 45_000
  const pprofTmp = await mkdtemp(join(tmpdir(), 'go-pprof-'))
  try {
    return await new Promise<GoPprofResult>((resolve, reject) => {
      const child = spawn('go', ['tool', 'pprof', ...args], {
        env: { ...process.env, ...opts.env, PPROF_TMPDIR: pprofTmp },
        stdio: ['ignore', 'pipe', 'pipe']
      })
      let stdout = ''
      let stderr = ''
      let timedOut = false
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
      const timer = setTimeout(() => {
        timedOut = true
        child.kill('SIGKILL')
      }, timeoutMs)
      child.on('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve({ code, stdout, stderr, timedOut })
      })
    })
  } finally {
    await rm(pprofTmp, { recursive: true, force: true })
  }
}

/**
 * Gate for interop suites: `describe.skipIf(!requireGo())(...)`.
 * Without `go` on PATH: under CI (CI=true) it throws, so the test file fails; locally it warns loudly and
 * returns false, so the suite shows as skipped.
 */
export function requireGo (): boolean {
  return requireTool('go', 'apt-get install golang-go', ['version'])
}

/** stderr lines that `go tool pprof` prints on a clean fetch; anything else is a warning or an error. */
const INFO_LINES = [
  /^Fetching profile over HTTP from /,
  /^Saved profile in /,
  /^Please wait\.\.\. \(\d+s\)$/
]

/** Lines of stderr that are not pprof's normal progress messages. */
export function unexpectedStderr (stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '' && !INFO_LINES.some((re) => re.test(line)))
}

export interface TopRow {
  /** flat value in base units: bytes for space, nanoseconds for time, plain number for counts */
  flat: number
  flatPct: number
  sumPct: number
  cum: number
  cumPct: number
  name: string
}

export interface TopReport {
  /** the `Type:` header line value, e.g. `inuse_space` */
  type: string | undefined
  /** `File:` header, e.g. `node` */
  file: string | undefined
  /** `Duration:` header as printed, e.g. `2.01s` */
  duration: string | undefined
  rows: TopRow[]
}

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  kB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  mins: 60e9,
  hrs: 3600e9
}

/** Parses a pprof value such as `40.12MB`, `-3.5kB`, `1.20s`, `230ms` or `17` into base units. */
export function parseValue (text: string): number {
  const m = /^(-?[\d.]+(?:e[+-]?\d+)?)([a-zµ]*)$/i.exec(text)
  if (m === null) throw new Error(`cannot parse pprof value ${JSON.stringify(text)}`)
  const unit = UNITS[m[2] ?? '']
  if (unit === undefined) throw new Error(`unknown pprof unit in ${JSON.stringify(text)}`)
  return Number(m[1]) * unit
}

const ROW = /^\s*(\S+)\s+(-?[\d.]+)%\s+(-?[\d.]+)%\s+(\S+)\s+(-?[\d.]+)%\s+(.+?)\s*$/

/** Parses `go tool pprof -top` stdout into its header and rows (in pprof's order: by flat, descending). */
export function parseTop (stdout: string): TopReport {
  const lines = stdout.split('\n')
  const header = (key: string): string | undefined =>
    lines.find((l) => l.startsWith(`${key}: `))?.slice(key.length + 2).trim()
  const duration = header('Duration')?.split(',')[0]
  const start = lines.findIndex((l) => /^\s*flat\s+flat%\s+sum%\s+cum\s+cum%\s*$/.test(l))
  const rows: TopRow[] = []
  if (start !== -1) {
    for (const line of lines.slice(start + 1)) {
      const m = ROW.exec(line)
      if (m === null) continue
      rows.push({
        flat: parseValue(m[1] ?? ''),
        flatPct: Number(m[2]),
        sumPct: Number(m[3]),
        cum: parseValue(m[4] ?? ''),
        cumPct: Number(m[5]),
        name: m[6] ?? ''
      })
    }
  }
  return { type: header('Type'), file: header('File'), duration, rows }
}

/** A compact dump of a pprof run for assertion messages. */
export function describeRun (r: GoPprofResult): string {
  return `exit ${String(r.code)}${r.timedOut ? ' (timed out)' : ''}\n--- stderr\n${r.stderr}\n--- stdout\n${r.stdout.slice(0, 4000)}`
}
