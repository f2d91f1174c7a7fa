// The retainer analysis names the holder: a child process keeps request
// objects in a module-level Map between two snapshots, and the largest
// cluster of new objects must hang from that variable; its twin, the same
// Map bounded like an LRU, must name no large cluster there. The CLI gives
// the same answer from the two files.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { analyzeRetainers, type RetainerAnalysis } from '../src/retainers/analyze.js'
import { parseSnapshotFile } from '../src/retainers/parse.js'
import { holderSnapshots } from './support/snapshots.js'

const CLI = new URL('../dist/retainers/cli.js', import.meta.url).pathname
// Requests handled between the two snapshots (holder.cjs).
const REQUESTS = 5000

type Files = Awaited<ReturnType<typeof holderSnapshots>>
let leak: Files
let bounded: Files

async function analyze (files: Files): Promise<RetainerAnalysis> {
  const base = await parseSnapshotFile(files.base, { idsOnly: true })
  return analyzeRetainers(await parseSnapshotFile(files.target), { watermark: base.maxNodeId })
}

function cli (...args: string[]): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('dist/ is missing: npm run build first (npm test does)')
  ;[leak, bounded] = await Promise.all([holderSnapshots('leak'), holderSnapshots('bounded')])
})
afterAll(async () => {
  for (const f of [leak, bounded]) if (f !== undefined) await rm(f.dir, { recursive: true, force: true })
})

describe('retainer analysis', () => {
  it('puts the leaking Map first, named by its variable, with the kept requests in it', async () => {
    const r = await analyze(leak)
    const top = r.clusters[0]
    expect(top).toBeDefined()
    expect(top?.steps.at(-1)).toBe('leakyMap › Map')
    const kinds = Object.fromEntries(top?.objects.map((o) => [o.name, o.count]) ?? [])
    // Each request: the request, its headers object and the Map's value object.
    expect(kinds.IncomingRequest).toBe(REQUESTS)
    expect(top?.count).toBeGreaterThanOrEqual(3 * REQUESTS)
    expect(top?.selfSize).toBeGreaterThan(r.newBytes / 2)
    for (const c of r.clusters.slice(1)) expect(c.selfSize).toBeLessThanOrEqual(top?.selfSize ?? 0)
    expect(r.newNodes).toBeGreaterThanOrEqual(top?.count ?? 0)
    // Names only: the headers' values are strings in the heap, never in a report.
    expect(JSON.stringify(r)).not.toContain('never-printed')
  })

  it('names no large cluster for the bounded twin', async () => {
    const [r, l] = await Promise.all([analyze(bounded), analyze(leak)])
    const held = r.clusters.filter((c) => c.path.includes('leakyMap'))
    const leaked = l.clusters.find((c) => c.path.includes('leakyMap'))?.count ?? 0
    // The twin keeps its last 100 requests: a hundredth of what the leak keeps.
    for (const c of held) expect(c.count).toBeLessThan(leaked / 10)
    expect(r.newNodes).toBeLessThan(l.newNodes / 3)
  })
})

describe('npx fastify-pprof retainers', () => {
  it('answers from a base and a target, in words and as JSON, and from --since-id', async () => {
    const text = cli('retainers', leak.base, leak.target)
    expect(text.status).toBe(0)
    const lines = text.stdout.split('\n')
    const first = lines.findIndex((l) => /^\s+\d+\s+[\d.]+ [KM]?B\s+/.test(l))
    expect(lines[first]).toMatch(/leakyMap › Map$/)
    expect(lines[first + 1]).toContain(`IncomingRequest ${REQUESTS}`)
    const json = cli('retainers', leak.base, leak.target, '--json', '--top', '3')
    expect(json.status).toBe(0)
    const report = JSON.parse(json.stdout) as { watermark: number, clusters: Array<{ path: string }> }
    expect(report.clusters.length).toBeLessThanOrEqual(3)
    expect(report.clusters[0]?.path).toMatch(/leakyMap › Map$/)
    const base = await parseSnapshotFile(leak.base, { idsOnly: true })
    expect(report.watermark).toBe(base.maxNodeId)
    const since = cli('retainers', leak.target, '--since-id', String(base.maxNodeId), '--json')
    const sinceReport = JSON.parse(since.stdout) as typeof report
    expect(sinceReport.watermark).toBe(base.maxNodeId)
    expect(sinceReport.clusters[0]).toEqual(report.clusters[0])
  })

  it('says what is wrong with its input, with distinct exit codes', () => {
    const missing = cli('retainers', `${leak.dir}/nothing.heapsnapshot`, leak.target)
    expect(missing.status).toBe(1)
    expect(missing.stderr).toContain('nothing.heapsnapshot: no such file')
    const notSnapshot = cli('retainers', leak.target, '--since-id', '1', CLI)
    expect(notSnapshot.status).toBe(2)
    const notJson = cli('retainers', CLI, '--since-id', '1')
    expect(notJson.status).toBe(1)
    expect(notJson.stderr).toContain('not a V8 heap snapshot')
    for (const args of [['retainers'], ['retainers', leak.target], ['retainers', leak.target, '--since-id', 'x'], ['nope']]) {
      const r = cli(...args)
      expect(r.status, args.join(' ')).toBe(2)
      expect(r.stderr).toContain('usage: fastify-pprof retainers')
    }
  })
})
