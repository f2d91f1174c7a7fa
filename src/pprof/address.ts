import type { Frame } from './frames.js'

const FNV_PRIME = 0x01000193

/**
 * Two FNV-1a hashes (two seeds) over name, file, line and column in one pass,
 * without building a key string (this runs once per location of a profile):
 * 48 bits of address.
 */
function hash48 (name: string, file: string, line: number, column: number): number {
  let a = 0x811c9dc5
  let b = 0x050c5d1f
  const text = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      a = Math.imul(a ^ c, FNV_PRIME)
      b = Math.imul(b ^ c, FNV_PRIME)
    }
    a = Math.imul(a, FNV_PRIME) // the separator
    b = Math.imul(b, FNV_PRIME)
  }
  const int = (n: number): void => {
    for (let v = n >>> 0, k = 0; k < 4; k++, v >>>= 8) {
      a = Math.imul(a ^ (v & 0xff), FNV_PRIME)
      b = Math.imul(b ^ (v & 0xff), FNV_PRIME)
    }
  }
  text(name)
  text(file)
  int(line)
  int(column)
  return ((a >>> 0) & 0xffff) * 0x1_0000_0000 + (b >>> 0)
}

const ALIGN = 16

/**
 * A synthetic program counter for a frame: the same frame gets the same
 * address in every profile of every process (go tool pprof's -base and
 * Grafana Alloy's delta match samples by address), distinct frames almost
 * always get distinct ones, and it is never zero. 16-byte aligned and below
 * 2^53, so `address - 1` (what pprof asks /symbol about for legacy text
 * profiles) still falls inside the frame's slot and survives a JS number.
 */
export function frameAddress (frame: Frame): number {
  const slot = hash48(frame.name, frame.file, frame.line, frame.column)
  return (slot === 0 ? 1 : slot) * ALIGN
}

/** Finds the frame slot an address (or address - 1) belongs to. */
export function slotOf (address: number): number {
  return Math.ceil(address / ALIGN) * ALIGN
}
