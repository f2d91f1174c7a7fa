import { frameAddress } from './address.js'
import type { FrameTable, StackRecord, StackSet } from './frames.js'
import type { LocationSink } from './builder.js'

const hex = (n: number): string => '0x' + n.toString(16)

function frameLines (frames: FrameTable, record: StackRecord, sink: LocationSink): { pcs: string, comments: string } {
  const pcs: string[] = []
  const comments: string[] = []
  for (const id of record.frameIds) {
    const frame = frames.get(id)
    const name = frame.name === '' ? '(anonymous)' : frame.name
    const address = frameAddress(frame)
    sink(address, name)
    // Like Go: return PCs after '@', call PCs (return - 1) on the '#' lines.
    pcs.push(hex(address))
    comments.push(`#\t${hex(address - 1)}\t${name}+0x0\t${frame.file}:${frame.line}\n`)
  }
  return { pcs: pcs.join(' '), comments: comments.join('') }
}

/**
 * Go's legacy text heap profile (runtime/pprof writeHeapInternal, debug=1).
 * Text holds raw sample counts that pprof scales up again with rate = N/2
 * from "@ heap/N"; V8's numbers are already scaled, so the scaling is undone
 * here per stack with Go's formula. Addresses are resolved by pprof through
 * /pprof/symbol, which the sink feeds.
 */
export function heapText (frames: FrameTable, stacks: StackSet, intervalBytes: number, sink: LocationSink): string {
  const records = [...stacks.values()]
    .map((r) => {
      const objects = r.values[0] ?? 0
      const bytes = r.values[1] ?? 0
      const avg = objects > 0 ? bytes / objects : 0
      const keep = avg > 0 ? 1 - Math.exp(-avg / intervalBytes) : 1
      const rawObjects = objects > 0 ? Math.max(1, Math.round(objects * keep)) : 0
      return { record: r, objects: rawObjects, bytes: Math.round(rawObjects * avg) }
    })
    .filter((r) => r.objects > 0)
    .sort((a, b) => b.bytes - a.bytes)
  let totalObjects = 0
  let totalBytes = 0
  for (const r of records) {
    totalObjects += r.objects
    totalBytes += r.bytes
  }
  // Only in-use data exists; Go adds one byte when alloc equals in-use, or
  // pprof would read the file as a two-column profile.
  const header = `heap profile: ${totalObjects}: ${totalBytes} [${totalObjects}: ${totalBytes + 1}] @ heap/${2 * intervalBytes}\n`
  const body = records.map(({ record, objects, bytes }) => {
    const { pcs, comments } = frameLines(frames, record, sink)
    return `${objects}: ${bytes} [${objects}: ${bytes}] @ ${pcs}\n${comments}\n`
  })
  return header + body.join('')
}

/** Go's count-profile text (goroutine, threadcreate with debug=1). */
export function countText (name: string, frames: FrameTable, stacks: StackSet, sink: LocationSink): string {
  const records = [...stacks.values()].sort((a, b) => (b.values[0] ?? 0) - (a.values[0] ?? 0))
  const body = records.map((record) => {
    const { pcs, comments } = frameLines(frames, record, sink)
    return `${record.values[0] ?? 0} @ ${pcs}\n${comments}\n`
  })
  return `${name} profile: total ${stacks.total(0)}\n` + body.join('')
}

/** Go's contention text (block and mutex with debug=1); Node has no such events. */
export function contentionText (name: 'block' | 'mutex'): string {
  const head = name === 'mutex' ? '--- mutex:\ncycles/second=1000000000\nsampling period=0\n' : '--- contention:\ncycles/second=1000000000\n'
  return head
}
