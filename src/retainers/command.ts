/**
 * The offline form of /leaks/retainers, for the `fastify-pprof` command
 * (cli.ts): the same parser and analysis on snapshot files. Of the base
 * only the highest object id is read. Offline there is no server to keep
 * responsive, so the parse runs on this thread.
 */
import { stat } from 'node:fs/promises'
import { analyzeRetainers } from './analyze.js'
import { NotASnapshotError } from './graph.js'
import { parseSnapshotFile } from './parse.js'
import { type RetainersReport, renderClusters } from './report.js'

const USAGE = `usage: fastify-pprof retainers <base.heapsnapshot> <target.heapsnapshot> [--json] [--top N]
       fastify-pprof retainers <target.heapsnapshot> --since-id <N> [--json] [--top N]

Names who keeps the objects of the target snapshot that are newer than the base
(object ids above the base's highest; both snapshots from one process, in that
order), as retainer paths clustered largest first.`

/** Exit codes: a usage error, and a file that could not be read or is not a snapshot. */
const EXIT_USAGE = 2
const EXIT_INPUT = 1

class UsageError extends Error {}

interface Args { files: string[], sinceId: number | undefined, json: boolean, top: number }

function parseArgs (argv: readonly string[]): Args {
  const args: Args = { files: [], sinceId: undefined, json: false, top: 20 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new UsageError(`${a} needs a value`)
      return v
    }
    const count = (v: string, what: string): number => {
      if (!/^\d+$/.test(v)) throw new UsageError(`${what} must be a whole number, not "${v}"`)
      return Number(v)
    }
    if (a === '--json') args.json = true
    else if (a === '--since-id') args.sinceId = count(value(), '--since-id')
    else if (a === '--top') args.top = Math.max(1, count(value(), '--top'))
    else if (a === '-h' || a === '--help') throw new UsageError('')
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`)
    else args.files.push(a)
  }
  if (args.sinceId === undefined && args.files.length !== 2) throw new UsageError('give a base and a target snapshot, or one target and --since-id')
  if (args.sinceId !== undefined && args.files.length !== 1) throw new UsageError('with --since-id, give one target snapshot')
  return args
}

async function readable (file: string): Promise<void> {
  try {
    if (!(await stat(file)).isFile()) throw new NotASnapshotError(`${file} is not a file`)
  } catch (err) {
    if (err instanceof NotASnapshotError) throw err
    throw new InputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
}

class InputError extends Error {}

async function parse (file: string, idsOnly: boolean): Promise<ReturnType<typeof parseSnapshotFile>> {
  await readable(file)
  try {
    return await parseSnapshotFile(file, { idsOnly })
  } catch (err) {
    throw new InputError(`${file}: ${(err as Error).message}`)
  }
}

export async function retainersCommand (argv: readonly string[]): Promise<{ code: number, out: string, err: string }> {
  let args: Args
  try {
    args = parseArgs(argv)
  } catch (err) {
    const message = (err as Error).message
    return { code: EXIT_USAGE, out: '', err: `${message === '' ? '' : `fastify-pprof retainers: ${message}\n`}${USAGE}\n` }
  }
  try {
    const [first, second] = args.files as [string, string?]
    const watermark = args.sinceId ?? (await parse(first, true)).maxNodeId
    const target = second ?? first
    const graph = await parse(target, false)
    const analysis = analyzeRetainers(graph, { watermark, maxClusters: args.top })
    const report: RetainersReport = {
      baseline: false,
      note: `objects of ${target} new since ${args.sinceId === undefined ? `${first} (ids above ${watermark})` : `id ${watermark}`}`,
      watermark,
      idsReset: analysis.maxNodeId < watermark,
      maxNodeId: analysis.maxNodeId,
      nodes: { total: analysis.nodes, reachable: analysis.reachable, new: analysis.newNodes },
      newBytes: analysis.newBytes,
      clusters: analysis.clusters
    }
    let warning = ''
    if (report.idsReset) warning = `fastify-pprof retainers: the target's highest object id (${analysis.maxNodeId}) is below ${watermark}: the base is newer, from another process, or V8 numbered objects anew in between\n`
    return { code: 0, out: args.json ? JSON.stringify(report, null, 2) + '\n' : renderClusters(report), err: warning }
  } catch (err) {
    if (err instanceof InputError || err instanceof NotASnapshotError) return { code: EXIT_INPUT, out: '', err: `fastify-pprof retainers: ${err.message}\n` }
    throw err
  }
}

/** `fastify-pprof <command> ...`: retainers is the one command. */
export async function main (argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command !== 'retainers') {
    process.stderr.write(`fastify-pprof: ${command === undefined ? 'no command' : `unknown command ${command}`}\n${USAGE}\n`)
    return EXIT_USAGE
  }
  const { code, out, err } = await retainersCommand(rest)
  process.stdout.write(out)
  process.stderr.write(err)
  return code
}
