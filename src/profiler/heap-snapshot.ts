import { chmod, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8'
import { readFileSync } from 'node:fs'

/** A heap snapshot needs about twice the used heap, outside the JS heap. */
export const SNAPSHOT_MEMORY_FACTOR = 2
export const SNAPSHOT_DIR_PREFIX = 'fastify-pprof-snapshot-'

function cgroupRemaining (): number {
  try {
    const max = readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim()
    if (max === 'max') return Infinity
    const current = Number(readFileSync('/sys/fs/cgroup/memory.current', 'utf8').trim())
    return Number(max) - current
  } catch {
    return Infinity
  }
}

/** Bytes a snapshot would need, and bytes the machine (or container) has left. */
export function snapshotBudget (): { needed: number, available: number } {
  const needed = getHeapStatistics().used_heap_size * SNAPSHOT_MEMORY_FACTOR
  return { needed, available: Math.min(os.freemem(), cgroupRemaining()) }
}

export interface SnapshotFile {
  readonly path: string
  remove (): Promise<void>
}

/**
 * Writes a snapshot into a private directory (0700, file 0600). V8 builds it
 * synchronously: the event loop stops for the whole write (the README's Heap
 * snapshots section has the cost).
 */
export async function writeSnapshotFile (): Promise<SnapshotFile> {
  const dir = await mkdtemp(join(os.tmpdir(), SNAPSHOT_DIR_PREFIX))
  const remove = async (): Promise<void> => { await rm(dir, { recursive: true, force: true }) }
  try {
    const path = writeHeapSnapshot(join(dir, 'heap.heapsnapshot'))
    await chmod(path, 0o600)
    return { path, remove }
  } catch (err) {
    await remove()
    throw err
  }
}
