import { errors } from './errors.js'

const UNITS_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
// Go's time.ParseDuration grammar, unsigned: one or more <decimal><unit>, "1h30m", "1.5h", "90s".
const DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g

/**
 * A Go duration (`90s`, `15m`, `2h`, `1h30m`) in milliseconds, as
 * time.ParseDuration reads it but positive only: anything else is a 400
 * naming the parameter.
 */
export function parseGoDuration (name: string, raw: unknown, maxMs: number): number {
  if (typeof raw !== 'string' || raw.length > 64 || !DURATION.test(raw)) {
    throw new errors.FST_PPROF_INVALID_PARAM(name, 'must be a Go duration such as 90s, 15m, 2h or 1h30m')
  }
  let ms = 0
  for (const [, value, unit] of raw.matchAll(PART)) ms += Number(value) * (UNITS_MS[unit as string] as number)
  if (!(ms >= 1 && ms <= maxMs)) {
    throw new errors.FST_PPROF_INVALID_PARAM(name, `must be from 1ms to ${formatDuration(maxMs)}`)
  }
  return ms
}

/** Milliseconds the way Go prints a duration, to the second: 2h0m0s, 15m0s, 1.5s. */
export function formatDuration (ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const total = Math.round(ms / 1000)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  if (h > 0) return `${h}h${m}m${s}s`
  if (m > 0) return `${m}m${s}s`
  return `${s}s`
}
