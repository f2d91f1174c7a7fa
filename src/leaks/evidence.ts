import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export type EvidenceKind = 'heap' | 'growth'

export interface EvidenceFile {
  readonly name: string
  readonly kind: EvidenceKind
  readonly bytes: number
  /** When it was written, ms since the epoch. */
  readonly at: number
  /** Written by an earlier process: what an out-of-memory crash left behind. */
  readonly beforeStart: boolean
}

// Only names this plugin writes are listed, served or removed.
const NAME = /^(heap|growth)-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-p\d+\.pb\.gz$/

const PROCESS_START = Date.now() - process.uptime() * 1000

/**
 * The directory where the leak watch leaves profiles when the heap nears its
 * limit, so that an out-of-memory crash does not take the evidence with it:
 * created 0700, files 0600, at most `maxFiles` of them (oldest removed first).
 * Writes are synchronous: a process this close to its limit may not live to
 * run a callback.
 */
export class EvidenceDir {
  readonly path: string
  readonly #maxFiles: number
  // Only this process writes here while it runs (a second process gets its own listing at its start).
  #listed: EvidenceFile[] | undefined

  constructor (path: string, maxFiles: number) {
    this.path = path
    this.#maxFiles = maxFiles
  }

  /** Creates the directory, or narrows an existing one to its owner. Throws when it cannot. */
  prepare (): void {
    mkdirSync(this.path, { recursive: true, mode: 0o700 })
    if ((statSync(this.path).mode & 0o077) !== 0) chmodSync(this.path, 0o700)
  }

  /** The files, oldest first: read once, then kept up to date by write(). */
  list (): readonly EvidenceFile[] {
    this.#listed ??= this.#read()
    return this.#listed
  }

  #read (): EvidenceFile[] {
    let names: string[]
    try {
      names = readdirSync(this.path)
    } catch {
      return []
    }
    const files: EvidenceFile[] = []
    for (const name of names) {
      const match = NAME.exec(name)
      if (match === null) continue
      try {
        const stat = statSync(join(this.path, name))
        files.push({ name, kind: match[1] as EvidenceKind, bytes: stat.size, at: stat.mtimeMs, beforeStart: stat.mtimeMs < PROCESS_START })
      } catch {}
    }
    return files.sort((a, b) => a.at - b.at || (a.name < b.name ? -1 : 1))
  }

  /** Writes one profile (0600) and removes the oldest files past the bound; returns its name. */
  write (kind: EvidenceKind, gz: Uint8Array, at: number): string {
    const name = `${kind}-${new Date(at).toISOString().replace(/[:.]/g, '-')}-p${process.pid}.pb.gz`
    writeFileSync(join(this.path, name), gz, { mode: 0o600 })
    const files = this.#read()
    const old = files.slice(0, Math.max(0, files.length - this.#maxFiles))
    for (const file of old) {
      try {
        unlinkSync(join(this.path, file.name))
      } catch {}
    }
    this.#listed = files.slice(old.length)
    return name
  }

  /** A file by its listed name, or undefined: no path from a request reaches the file system otherwise. */
  read (name: string): Buffer | undefined {
    if (!NAME.test(name)) return undefined
    try {
      return readFileSync(join(this.path, name))
    } catch {
      return undefined
    }
  }
}
