// Small statistics and formatting helpers shared by the bench suites.

export function median (values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const mid = v.length >> 1
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

export function range (values) {
  const v = values.filter((x) => Number.isFinite(x))
  return v.length ? [Math.min(...v), Math.max(...v)] : [NaN, NaN]
}

/** Rounds to `digits` significant-looking decimals for table cells. */
export function fmt (x, digits = 1) {
  if (x === undefined || x === null || Number.isNaN(x)) return 'n/a'
  if (!Number.isFinite(x)) return String(x)
  return x.toFixed(digits)
}

/** "median (min–max)" cell. */
export function cell (values, digits = 1) {
  const [lo, hi] = range(values)
  return `${fmt(median(values), digits)} (${fmt(lo, digits)}–${fmt(hi, digits)})`
}

export function markdownTable (header, rows) {
  const out = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`]
  for (const r of rows) out.push(`| ${r.join(' | ')} |`)
  return out.join('\n')
}
