/**
 * Trend statistics for the leak watch: robust to the sampling heap
 * profiler's noise (one sample stands for ~512 KiB) and to outliers, with no
 * assumption that growth is linear or the noise normal.
 */

/** Theil–Sen estimator: the median of the slopes between every pair of points. */
export function theilSen (xs: readonly number[], ys: readonly number[]): number {
  const slopes: number[] = []
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      const dx = (xs[j] as number) - (xs[i] as number)
      if (dx !== 0) slopes.push(((ys[j] as number) - (ys[i] as number)) / dx)
    }
  }
  return median(slopes)
}

export function median (values: readonly number[]): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export interface MannKendall {
  /** Concordant minus discordant pairs: positive when later values tend to be larger. */
  readonly s: number
  /** Normal score of S (continuity corrected, variance corrected for ties). */
  readonly z: number
  /** One-sided p-value of "the series increases": small means a rising trend is unlikely to be chance. */
  readonly pIncreasing: number
}

/**
 * Mann–Kendall test for a monotone trend, in time order. Ties (a site whose
 * sampled bytes did not change) count as neither up nor down.
 */
export function mannKendall (ys: readonly number[]): MannKendall {
  const n = ys.length
  let s = 0
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) s += Math.sign((ys[j] as number) - (ys[i] as number))
  }
  const ties = new Map<number, number>()
  for (const y of ys) ties.set(y, (ties.get(y) ?? 0) + 1)
  let tieTerm = 0
  for (const t of ties.values()) tieTerm += t * (t - 1) * (2 * t + 5)
  const variance = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18
  const z = variance <= 0 ? 0 : (s > 0 ? s - 1 : s < 0 ? s + 1 : 0) / Math.sqrt(variance)
  return { s, z, pIncreasing: 1 - normalCdf(z) }
}

/** Standard normal CDF (Abramowitz and Stegun 7.1.26 for erf: error below 1.5e-7). */
export function normalCdf (z: number): number {
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * x)
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x)
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2
}
