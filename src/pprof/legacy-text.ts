import { frameAddress } from './address.js'
import { displayName, type FrameTable, type StackRecord, type StackSet } from './frames.js'

const hex = (n: number): string => '0x' + n.toString(16)

/** Called for each location written: fills the /symbol table that resolves text profiles. */
export type LocationSink = (address: number, name: string) => void

function frameLines (frames: FrameTable, record: StackRecord, sink: LocationSink): { pcs: string, comments: string } {
  const pcs: string[] = []
  const comments: string[] = []
  for (const id of record.frameIds) {
    const frame = frames.get(id)
    const name = displayName(frame)
    const address = frameAddress(frame)
    sink(address, name)
    // Like Go: return PCs after '@', call PCs (return - 1) on the '#' lines.
    pcs.push(hex(address))
    comments.push(`#\t${hex(address - 1)}\t${name}+0x0\t${frame.file}:${frame.line}\n`)
  }
  return { pcs: pcs.join(' '), comments: comments.join('') }
}

/** Undoes V8's sample scaling with Go's formula: what the text format holds. */
function rawSample (objects: number, bytes: number, intervalBytes: number): { objects: number, bytes: number } {
  if (objects <= 0) return { objects: 0, bytes: 0 }
  const avg = bytes / objects
  const keep = avg > 0 ? 1 - Math.exp(-avg / intervalBytes) : 1
  const raw = Math.max(1, Math.round(objects * keep))
  return { objects: raw, bytes: Math.round(raw * avg) }
}

/** Which stack values hold in-use and allocated [objects, bytes]. */
export interface HeapColumns { inuse: [number, number], alloc: [number, number] }

/**
 * Go's legacy text heap profile (runtime/pprof writeHeapInternal, debug=1).
 * Text holds raw sample counts that pprof scales up again with rate = N/2
 * from "@ heap/N"; V8's numbers are already scaled, so the scaling is undone
 * here per stack with Go's formula. Addresses are resolved by pprof through
 * /pprof/symbol, which the sink feeds.
 */
export function heapText (frames: FrameTable, stacks: StackSet, intervalBytes: number, sink: LocationSink, columns: HeapColumns = { inuse: [0, 1], alloc: [0, 1] }): string {
  const pick = (values: readonly number[], [o, b]: [number, number]): { objects: number, bytes: number } =>
    rawSample(values[o] ?? 0, values[b] ?? 0, intervalBytes)
  const records = [...stacks.values()]
    .map((record) => ({ record, inuse: pick(record.values, columns.inuse), alloc: pick(record.values, columns.alloc) }))
    .filter((r) => r.inuse.objects > 0 || r.alloc.objects > 0)
    .sort((a, b) => b.inuse.bytes - a.inuse.bytes || b.alloc.bytes - a.alloc.bytes)
  const total = { inuseObjects: 0, inuseBytes: 0, allocObjects: 0, allocBytes: 0 }
  for (const r of records) {
    total.inuseObjects += r.inuse.objects
    total.inuseBytes += r.inuse.bytes
    total.allocObjects += r.alloc.objects
    total.allocBytes += r.alloc.bytes
  }
  // Go adds one byte when alloc equals in-use, or pprof would read the file
  // as a two-column profile.
  if (total.allocBytes === total.inuseBytes) total.allocBytes++
  const header = `heap profile: ${total.inuseObjects}: ${total.inuseBytes} [${total.allocObjects}: ${total.allocBytes}] @ heap/${2 * intervalBytes}\n`
  const body = records.map(({ record, inuse, alloc }) => {
    const { pcs, comments } = frameLines(frames, record, sink)
    return `${inuse.objects}: ${inuse.bytes} [${alloc.objects}: ${alloc.bytes}] @ ${pcs}\n${comments}\n`
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
