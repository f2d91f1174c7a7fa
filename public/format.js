// Number formatting in pprof's own style (40.12MB, 1.20s, 230ms).

const BYTES = ['B', 'kB', 'MB', 'GB', 'TB']

/** @param {number} n bytes, may be negative */
export function formatBytes (n) {
  if (!Number.isFinite(n)) return '–'
  const sign = n < 0 ? '-' : ''
  let v = Math.abs(n)
  let i = 0
  while (v >= 1024 && i < BYTES.length - 1) {
    v /= 1024
    i++
  }
  // Like pprof: two decimals, but a round number reads round (50MB, not 50.00MB).
  return sign + (i === 0 ? String(Math.round(v)) : v.toFixed(v >= 100 ? 0 : 2).replace(/\.00$/, '')) + BYTES[i]
}

/** @param {number} ms */
export function formatMs (ms) {
  if (!Number.isFinite(ms)) return '–'
  const a = Math.abs(ms)
  if (a === 0) return '0'
  if (a >= 1000) return (ms / 1000).toFixed(2) + 's'
  if (a >= 10) return ms.toFixed(0) + 'ms'
  if (a >= 1) return ms.toFixed(1) + 'ms'
  return ms.toFixed(2) + 'ms'
}

/** @param {number} n */
export function formatCount (n) {
  if (!Number.isFinite(n)) return '–'
  return Math.round(n).toLocaleString('en-US')
}

/** A value in a profile's unit: bytes, nanoseconds, microseconds or a count. */
export function formatValue (n, unit) {
  if (unit === 'bytes') return formatBytes(n)
  if (unit === 'nanoseconds') return formatMs(n / 1e6)
  if (unit === 'microseconds') return formatMs(n / 1e3)
  return formatCount(n)
}

/** @param {number} fraction 0.1234 → "12.34%" */
export function formatPercent (fraction) {
  if (!Number.isFinite(fraction)) return '–'
  return (fraction * 100).toFixed(2) + '%'
}

/** @param {number} seconds → "1h 02m", "3m 05s", "42s" */
export function formatAge (seconds) {
  const s = Math.max(0, Math.round(seconds))
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor(s % 3600 / 60)).padStart(2, '0')}m`
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  return `${s}s`
}

/** @param {Date} date → "14:05:09" */
export function formatClock (date) {
  return date.toTimeString().slice(0, 8)
}

/** A file-name-safe local timestamp: 2026-11-29T14-05-09 */
export function fileStamp (date) {
  const p = (n) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}-${p(date.getMinutes())}-${p(date.getSeconds())}`
}

/** The end of a long path: "…/src/routes/named.ts" keeps the last `parts` segments. */
export function shortPath (file, parts = 3) {
  if (file === '') return ''
  const segments = file.replace(/^file:\/\//, '').split('/')
  if (segments.length <= parts + 1) return segments.join('/')
  return '…/' + segments.slice(-parts).join('/')
}
