// What the page computes from decoded profiles: pprof's -top table, the
// difference of two profiles, and the tree a flame graph draws. Pure
// functions over the model of decode.js: no DOM, testable in Node.

/** Sum of one sample type over all samples. */
export function total (model, index) {
  let sum = 0
  for (const s of model.samples) sum += s.values[index] ?? 0
  return sum
}

/** Sum of absolute values: what pprof takes as 100% when values can be negative. */
export function absTotal (model, index) {
  let sum = 0
  for (const s of model.samples) sum += Math.abs(s.values[index] ?? 0)
  return sum
}

/** What percentages are of: the baseline for a diff (like pprof -diff_base), else the profile itself. */
export function percentBase (model, index) {
  return model.percentOf?.[index] ?? absTotal(model, index)
}

/**
 * pprof -top: per function, flat (the function itself was the leaf) and cum
 * (the function was anywhere on the stack, counted once per sample).
 * Rows come sorted by flat, largest first.
 * @returns {Array<{ fn: string, name: string, file: string, line: number, flat: number, cum: number }>}
 */
export function topRows (model, index) {
  const rows = new Map()
  const row = (frame) => {
    let r = rows.get(frame.fn)
    if (r === undefined) {
      r = { fn: frame.fn, name: frame.name, file: frame.file, line: frame.line, flat: 0, cum: 0 }
      rows.set(frame.fn, r)
    }
    return r
  }
  for (const s of model.samples) {
    const v = s.values[index] ?? 0
    if (v === 0 || s.stack.length === 0) continue
    row(s.stack[0]).flat += v
    const seen = new Set()
    for (const frame of s.stack) {
      if (seen.has(frame.fn)) continue
      seen.add(frame.fn)
      row(frame).cum += v
    }
  }
  return [...rows.values()].filter((r) => r.flat !== 0 || r.cum !== 0).sort(byFlat)
}

function byFlat (a, b) {
  return b.flat - a.flat || b.cum - a.cum || a.name.localeCompare(b.name)
}

function stackKey (stack) {
  return stack.map((f) => f.key).join('\u0001')
}

/**
 * after − before, stack by stack. Frames match by function name, file and
 * line, so two profiles taken hours apart line up. Sample types match by
 * name. Percentages are of the baseline's total, as with pprof -diff_base.
 */
export function diffProfiles (before, after) {
  const types = after.sampleTypes
  const beforeIndex = types.map((t) => before.sampleTypes.findIndex((b) => b.type === t.type && b.unit === t.unit))
  const byStack = new Map()
  const add = (stack, values, sign, map) => {
    const key = stackKey(stack)
    let entry = byStack.get(key)
    if (entry === undefined) {
      entry = { stack, values: types.map(() => 0) }
      byStack.set(key, entry)
    }
    types.forEach((_, i) => {
      const j = map(i)
      if (j !== -1) entry.values[i] += sign * (values[j] ?? 0)
    })
  }
  for (const s of before.samples) add(s.stack, s.values, -1, (i) => beforeIndex[i])
  for (const s of after.samples) add(s.stack, s.values, 1, (i) => i)
  return {
    sampleTypes: types,
    defaultIndex: after.defaultIndex,
    samples: [...byStack.values()].filter((e) => e.values.some((v) => v !== 0)),
    timeNanos: after.timeNanos,
    durationNanos: after.timeNanos - before.timeNanos,
    percentOf: types.map((_, i) => beforeIndex[i] === -1 ? 0 : absTotal(before, beforeIndex[i]))
  }
}

/**
 * The call tree for a flame graph, root first, with total values (a node
 * includes its children). `sign` -1 draws what shrank in a difference; only
 * positive contributions are drawn, widths cannot be negative.
 * Children merge by function and line.
 */
export function flameTree (model, index, sign = 1) {
  const root = { name: 'all', file: '', line: 0, value: 0, children: [] }
  const childOf = new Map([[root, new Map()]])
  for (const s of model.samples) {
    const v = sign * (s.values[index] ?? 0)
    if (!(v > 0)) continue
    root.value += v
    let node = root
    for (let i = s.stack.length - 1; i >= 0; i--) {
      const frame = s.stack[i]
      const kids = childOf.get(node)
      let child = kids.get(frame.key)
      if (child === undefined) {
        child = { name: frame.name, file: frame.file, line: frame.line, value: 0, children: [] }
        kids.set(frame.key, child)
        childOf.set(child, new Map())
        node.children.push(child)
      }
      child.value += v
      node = child
    }
  }
  return root
}
