import type { Frame } from './frames.js'

// FNV-1a, 32 bits, over UTF-16 code units; two seeds give 48 bits.
function fnv1a (text: string, seed: number): number {
  let h = seed >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
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
  const high = fnv1a(key, 0x811c9dc5) & 0xffff
  const low = fnv1a(key, 0x050c5d1f)
  const slot = high * 0x1_0000_0000 + low // 48 bits
  return (slot === 0 ? 1 : slot) * ALIGN
}

/** Finds the frame slot an address (or address - 1) belongs to. */
export function slotOf (address: number): number {
  return Math.ceil(address / ALIGN) * ALIGN
}
