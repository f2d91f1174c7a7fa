import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8'

const MB = 1024 * 1024
// The largest young-generation reserve seen in heap_size_limit (Node 24: 3 x a 64 MB semi-space; Node 20 and 22
// reserve 48 MB, Node 26 96 MB). Subtracting the largest errs towards firing early.
const YOUNG_RESERVE = 192 * MB
const YOUNG_SPACES = new Set(['new_space', 'new_large_object_space'])

/** --max-old-space-size in MB, from NODE_OPTIONS then the command line, which wins, as in Node. */
function maxOldSpaceMegabytes (): number | undefined {
  let value: number | undefined
  for (const arg of [...(process.env.NODE_OPTIONS ?? '').split(/\s+/), ...process.execArgv]) {
    const match = /^--max[-_]old[-_]space[-_]size=(\d+)$/.exec(arg)
    if (match !== null) value = Number(match[1])
  }
  return value
}

// V8 aborts before the ceiling when its major GCs stop freeing memory: four in a row that leave the old
// generation above 80 % of its ceiling while GC takes most of the time ("Ineffective mark-compacts near heap
// limit", kHighHeapPercentage in V8's heap.cc). A fast leak dies there: at 78 of 96 MB in the crash test.
const GIVES_UP_FRACTION = 0.8

/**
 * The old generation's ceiling, not heap_size_limit (which adds the young
 * generation's reserve: with --max-old-space-size=160 the ceiling is about
 * 0.77 of heap_size_limit). Exact when --max-old-space-size is given.
 */
function oldGenerationCeiling (): number {
  const explicit = maxOldSpaceMegabytes()
  if (explicit !== undefined) return explicit * MB
  const limit = getHeapStatistics().heap_size_limit
  return Math.max(limit - YOUNG_RESERVE, limit / 2)
}

/** Where V8 may give up: the used old generation past which a leak can kill the process. */
export function oldGenerationGivesUpAt (): number {
  return GIVES_UP_FRACTION * oldGenerationCeiling()
}

/** Bytes the old generation holds now: the used heap without the young spaces. */
export function oldGenerationUsed (): number {
  let used = 0
  for (const space of getHeapSpaceStatistics()) if (!YOUNG_SPACES.has(space.space_name)) used += space.space_used_size
  return used
}
