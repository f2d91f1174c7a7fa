import type { Frame } from './frames.js'

const FNV_PRIME = 0x01000193

const SEED_A = 0x811c9dc5
const SEED_B = 0x050c5d1f
const ALIGN = 16

/**
 * Two FNV-1a hashes (two seeds) over file, name, line and column in one pass,
 * without building a key string (this runs once per location of a profile).
 * The file comes first so that its part can be computed once per file.
 */
class Hash {
  a = SEED_A
  b = SEED_B

  text (s: string): void {
    let a = this.a
    let b = this.b
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      a = Math.imul(a ^ c, FNV_PRIME)
      b = Math.imul(b ^ c, FNV_PRIME)
    }
    this.a = Math.imul(a, FNV_PRIME) // the separator
    this.b = Math.imul(b, FNV_PRIME)
  }

  int (n: number): void {
    for (let v = n >>> 0, k = 0; k < 4; k++, v >>>= 8) {
      this.a = Math.imul(this.a ^ (v & 0xff), FNV_PRIME)
      this.b = Math.imul(this.b ^ (v & 0xff), FNV_PRIME)
    }
  }

  /** 48 bits: 16 of one hash, 32 of the other. */
  get value (): number {
    return ((this.a >>> 0) & 0xffff) * 0x1_0000_0000 + (this.b >>> 0)
  }
}

function finish (hash: Hash, frame: Frame): number {
  hash.text(frame.name)
  hash.int(frame.line)
  hash.int(frame.column)
  const slot = hash.value
  return (slot === 0 ? 1 : slot) * ALIGN
}

/**
 * A synthetic program counter for a frame: the same frame gets the same
 * address in every profile of every process (go tool pprof's -base and
 * Grafana Alloy's delta match samples by address), distinct frames almost
 * always get distinct ones, and it is never zero. 16-byte aligned and below
 * 2^53, so `address - 1` (what pprof asks /symbol about for legacy text
 * profiles) still falls inside the frame's slot and survives a JS number.
 */
export function frameAddress (frame: Frame): number {
  const hash = new Hash()
  hash.text(frame.file)
  return finish(hash, frame)
}

/**
 * frameAddress() for the frames of one profile: many frames share a few
 * files, so each file's part of the hash is computed once.
 */
export function frameAddresses (): (frame: Frame) => number {
  const files = new Map<string, Hash>()
  const hash = new Hash()
  return (frame) => {
    let file = files.get(frame.file)
    if (file === undefined) {
      file = new Hash()
      file.text(frame.file)
      files.set(frame.file, file)
    }
    hash.a = file.a
    hash.b = file.b
    return finish(hash, frame)
  }
}

/** Finds the frame slot an address (or address - 1) belongs to. */
export function slotOf (address: number): number {
  return Math.ceil(address / ALIGN) * ALIGN
}
