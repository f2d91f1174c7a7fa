import type { Slicer } from '../cooperative.js'
import type { FrameTable } from '../pprof/frames.js'
import type { ResolvedOptions } from '../options.js'

/** Rewrites the frames of one profile before it is written (source maps). */
export interface FrameMapper {
  map (frames: FrameTable, slicer: Slicer): Promise<void>
  close (): void
}

const IDENTITY: FrameMapper = { async map () {}, close () {} }

/** The frame mapper for these options: the identity when source maps are off. */
export function createFrameMapper (options: ResolvedOptions['sourceMaps']): FrameMapper {
  if (options === false) return IDENTITY
  return IDENTITY
}
