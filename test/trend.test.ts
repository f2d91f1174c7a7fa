import { describe, expect, it } from 'vitest'
import { mannKendall, median, normalCdf, theilSen } from '../src/leaks/trend.js'
import { formatDuration, parseGoDuration } from '../src/duration.js'

describe('trend statistics', () => {
  it('Theil–Sen finds the slope through outliers; the median of an even list is the mean of the middle two', () => {
    const xs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    const ys = xs.map((x) => 3 * x + 7)
    ys[4] = 1000
    ys[8] = -500
    expect(theilSen(xs, ys)).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBe(0)
  })

  it('Mann–Kendall: a rising series is significant, noise and a plateau after a rise are not in their second half', () => {
    const rising = Array.from({ length: 20 }, (_, i) => i * 10 + (i % 3))
    expect(mannKendall(rising).pIncreasing).toBeLessThan(1e-6)
    // Five of the six pairs rise; the tie counts neither way.
    const short = mannKendall([1, 2, 2, 3])
    expect(short.s).toBe(5)
    const noise = [5, 3, 6, 2, 7, 4, 5, 3, 6, 4, 5, 2, 6, 3, 5, 4]
    expect(mannKendall(noise).pIncreasing).toBeGreaterThan(0.1)
    const plateau = [1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 6]
    expect(mannKendall(plateau).pIncreasing).toBeLessThan(0.01)
    expect(mannKendall(plateau.slice(6)).pIncreasing).toBeGreaterThan(0.1)
    expect(mannKendall([7, 7, 7, 7]).pIncreasing).toBeCloseTo(0.5, 6)
  })

  it('the normal CDF matches known quantiles', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7)
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6)
    expect(normalCdf(-2.326348)).toBeCloseTo(0.01, 6)
  })
})

describe('Go durations (?since=)', () => {
  it('reads what time.ParseDuration reads, positive only', () => {
    expect(parseGoDuration('since', '90s', 1e12)).toBe(90_000)
    expect(parseGoDuration('since', '15m', 1e12)).toBe(900_000)
    expect(parseGoDuration('since', '2h', 1e12)).toBe(7_200_000)
    expect(parseGoDuration('since', '1h30m', 1e12)).toBe(5_400_000)
    expect(parseGoDuration('since', '1.5h', 1e12)).toBe(5_400_000)
    expect(parseGoDuration('since', '500ms', 1e12)).toBe(500)
  })

  it.each(['', '2', 'h', '-5m', '+5m', '5 m', '5M', '1d', '0s', '2h0x', '1e3s', ' 5s', '5s ', 'Infinity', '5m'.repeat(40)])('refuses %j with a 400 naming the parameter', (raw) => {
    expect(() => parseGoDuration('since', raw, 1e12)).toThrow(/invalid value for "since"/)
  })

  it('refuses a duration past the bound, and prints durations the way Go does', () => {
    expect(() => parseGoDuration('since', '49h', 48 * 3_600_000)).toThrow(/from 1ms to 48h0m0s/)
    expect(formatDuration(7_200_000)).toBe('2h0m0s')
    expect(formatDuration(90_500)).toBe('1m31s')
    expect(formatDuration(250)).toBe('250ms')
  })
})
