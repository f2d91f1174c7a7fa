import type { LeakReport, Verdict } from '../leaks/analysis.js'
import type { Holder } from './holders.js'

export interface LeakReportWithHolders extends Omit<LeakReport, 'verdict'> {
  readonly verdict: Verdict
  /** Collections whose size keeps rising across censuses, most certain first: who keeps what grows. */
  readonly holders: readonly Holder[]
}

/**
 * The leak watch's report with the census's holders. A holder is evidence of
 * growth by itself (exact counts over many censuses), so it makes the
 * verdict `growing` even while the suspects still wait for post-GC captures.
 */
export function withHolders (report: LeakReport, holders: readonly Holder[]): LeakReportWithHolders {
  return { ...report, verdict: holders.length > 0 ? 'growing' : report.verdict, holders }
}
