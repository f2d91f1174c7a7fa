import { StackSet } from './frames.js'

/**
 * `after - before` per stack, with Go's semantics (runtime/pprof delta
 * profiles via profile.Merge): every value is differenced, stacks whose
 * values all become zero are dropped, negative values are kept.
 * Both sets must come from the same FrameTable so that keys compare.
 */
export function deltaStacks (before: StackSet, after: StackSet): StackSet {
  const out = new StackSet()
  for (const [key, record] of after.entries()) {
    const old = before.get(key)
    const values = record.values.map((v, i) => v - (old?.values[i] ?? 0))
    if (values.some((v) => v !== 0)) out.add(record.frameIds, values)
  }
  for (const [key, record] of before.entries()) {
    if (after.get(key) !== undefined) continue
    const values = record.values.map((v) => -v)
    if (values.some((v) => v !== 0)) out.add(record.frameIds, values)
  }
  return out
}
