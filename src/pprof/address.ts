import type { Frame } from './frames.js'

/** Two FNV-1a hashes (two seeds) over UTF-16 code units in one pass: 48 bits of address. */
function hash48 (text: string): number {
  let a = 0x811c9dc5
  let b = 0x050c5d1f
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x01000193)
  }
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
  const key = `${frame.name}\0${frame.file}\0${frame.line}\0${frame.column}`
  const slot = hash48(key)
  return (slot === 0 ? 1 : slot) * ALIGN
}

/** Finds the frame slot an address (or address - 1) belongs to. */
export function slotOf (address: number): number {
  return Math.ceil(address / ALIGN) * ALIGN
}
