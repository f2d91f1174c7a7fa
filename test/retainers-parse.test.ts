// The streaming snapshot parser, on real snapshots a child process wrote:
// what it reads must be what the JSON says, however the file is cut into
// chunks, and no string value may survive it.
import { readFileSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NotASnapshotError } from '../src/retainers/graph.js'
import { parseSnapshotFile, SnapshotParser } from '../src/retainers/parse.js'
import { holderSnapshots } from './support/snapshots.js'

interface Snapshot {
  snapshot: { meta: { node_fields: string[], edge_fields: string[], node_types: [string[]], edge_types: [string[]] }, node_count: number, edge_count: number }
  nodes: number[]
  edges: number[]
  strings: string[]
}

let files: { dir: string, base: string, target: string }
let json: Snapshot

beforeAll(async () => {
  files = await holderSnapshots('leak')
  json = JSON.parse(readFileSync(files.target, 'utf8')) as Snapshot
})
afterAll(async () => { await rm(files.dir, { recursive: true, force: true }) })

describe('the streaming snapshot parser', () => {
  it('reads every node and edge column as the JSON has them', async () => {
    const g = await parseSnapshotFile(files.target)
    const meta = json.snapshot.meta
    const nf = meta.node_fields.length
    const ef = meta.edge_fields.length
    expect(g.nodeCount).toBe(json.snapshot.node_count)
    expect(g.edgeCount).toBe(json.snapshot.edge_count)
    expect(g.nodeTypes).toEqual(meta.node_types[0])
    const field = (name: string): number => meta.node_fields.indexOf(name)
    // Compared column by column as plain arrays: one expect per column, not one per value.
    const column = (name: string): number[] => json.nodes.filter((_, k) => k % nf === field(name))
    expect([...g.nodeId]).toEqual(column('id'))
    expect([...g.nodeType]).toEqual(column('type'))
    expect([...g.nodeSelfSize]).toEqual(column('self_size'))
    let edge = 0
    expect([...g.firstEdge]).toEqual([0, ...column('edge_count').map((c) => (edge += c))])
    expect(g.maxNodeId).toBe(Math.max(...column('id').filter((id) => id % 2 === 1)))
    expect([...g.edgeType]).toEqual(json.edges.filter((_, k) => k % ef === 0))
    expect([...g.edgeTo]).toEqual(json.edges.filter((_, k) => k % ef === 2).map((to) => to / nf))
  })

  it('decodes the names it keeps exactly, and keeps no string value', async () => {
    const g = await parseSnapshotFile(files.target)
    const kept = g.strings.flatMap((s, i) => s === undefined ? [] : [[s, i] as const])
    expect(kept.length).toBeGreaterThan(1000)
    for (const [s, i] of kept) if (s !== '(long name)') expect(s).toBe(json.strings[i])
    expect(kept.map(([s]) => s)).toContain('IncomingRequest')
    expect(kept.map(([s]) => s)).toContain('leakyMap')
    // The fixture's header values: in the snapshot's string table, never in what the parser keeps.
    expect(json.strings.some((s) => s.includes('never-printed'))).toBe(true)
    expect(kept.some(([s]) => s.includes('never-printed'))).toBe(false)
  })

  it('reads the same graph whatever the chunk boundaries', async () => {
    const whole = await parseSnapshotFile(files.base)
    const bytes = readFileSync(files.base)
    for (const size of [1, 7, 4093]) {
      const parser = new SnapshotParser()
      // One byte at a time for the header and a stretch of the body; then bigger cuts, to keep the test fast.
      const limit = size === 1 ? 200_000 : bytes.length
      let at = 0
      for (; at < limit; at += size) parser.write(bytes.subarray(at, Math.min(at + size, bytes.length)))
      if (at < bytes.length) parser.write(bytes.subarray(at))
      const g = parser.end()
      expect(g.nodeCount).toBe(whole.nodeCount)
      expect(Buffer.compare(Buffer.from(g.nodeId.buffer), Buffer.from(whole.nodeId.buffer))).toBe(0)
      expect(Buffer.compare(Buffer.from(g.edgeTo.buffer), Buffer.from(whole.edgeTo.buffer))).toBe(0)
      expect(g.strings).toEqual(whole.strings)
    }
  })

  it('reads only ids when asked, for a base', async () => {
    const full = await parseSnapshotFile(files.base)
    const ids = await parseSnapshotFile(files.base, { idsOnly: true })
    expect(ids.maxNodeId).toBe(full.maxNodeId)
    expect(ids.edgeCount).toBe(0)
    expect(ids.strings.filter((s) => s !== undefined)).toEqual([])
  })

  it('says why a file is not a snapshot', async () => {
    const bad = `${files.dir}/bad.heapsnapshot`
    const cases: Array<[string, RegExp]> = [
      ['hello', /does not start with "\{"/],
      ['{"a":1}', /no "nodes" array/],
      ['{"snapshot":{},"nodes":[]}', /no snapshot\.meta/],
      [readFileSync(files.base, 'utf8').slice(0, 100_000), /ends early/]
    ]
    for (const [text, why] of cases) {
      await writeFile(bad, text)
      const err = await parseSnapshotFile(bad).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(NotASnapshotError)
      expect((err as Error).message).toMatch(why)
    }
  })
})
