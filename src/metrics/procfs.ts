import { readFile } from 'node:fs/promises'

/** What Linux's /proc says about this process; every field is undefined elsewhere or when unreadable. */
export interface ProcReadings {
  /** VmSize, bytes. */
  readonly virtualBytes: number | undefined
  /** VmData, bytes (prom-client's process_heap_bytes). */
  readonly dataBytes: number | undefined
  /** Soft limit on open files; undefined when unlimited. */
  readonly maxFds: number | undefined
}

export const NO_PROC: ProcReadings = Object.freeze({ virtualBytes: undefined, dataBytes: undefined, maxFds: undefined })

function kiloBytes (status: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s*(\\d+) kB$`, 'm').exec(status)
  return m === null ? undefined : Number(m[1]) * 1024
}

export function parseStatus (status: string): Pick<ProcReadings, 'virtualBytes' | 'dataBytes'> {
  return { virtualBytes: kiloBytes(status, 'VmSize'), dataBytes: kiloBytes(status, 'VmData') }
}

export function parseMaxFds (limits: string): number | undefined {
  const m = /^Max open files\s+(\d+)\s/m.exec(limits)
  return m === null ? undefined : Number(m[1])
}

async function readText (path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return undefined
  }
}

/**
 * Two small procfs files, read off the event loop. Their size does not grow
 * with the process (unlike /proc/self/fd, which the sampler counts in the
 * background), so reading them per scrape is cheap.
 */
export async function readProc (): Promise<ProcReadings> {
  if (process.platform !== 'linux') return NO_PROC
  const [status, limits] = await Promise.all([readText('/proc/self/status'), readText('/proc/self/limits')])
  return {
    ...(status === undefined ? NO_PROC : parseStatus(status)),
    maxFds: limits === undefined ? undefined : parseMaxFds(limits)
  }
}
