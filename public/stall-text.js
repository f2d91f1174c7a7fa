// The Event-loop stalls panel's words: a stall of /stalls as the list and
// its result show it. Pure functions over /stalls' JSON: no DOM, testable in Node.
import { fileStamp, formatClock, formatMs, shortPath } from './format.js'

// /stalls' reason while the watchdog's report has not come yet.
export const PENDING = 'profile pending'

/** The panel's notice: how many stalls, in words; 'none' until the first. */
export function stallsText (body) {
  const broken = body.watchdogError ? ` The watchdog thread failed (${body.watchdogError}): stalls are measured, without profiles.` : ''
  if (body.total === 0) return `No stalls yet: the event loop has not been blocked for ${body.thresholdMs} ms or more.${broken}`
  const n = body.stalls.length
  const kept = body.total > n ? `, the newest ${n} kept` : ''
  return `${body.total} stall${body.total === 1 ? '' : 's'} of ${body.thresholdMs} ms or more${kept}. Pick one to see where the loop was stuck.${broken}`
}

/** One stall as a list row shows it, all strings: when, how long, route, GC, top function, and why no profile. */
export function stallSummary (stall) {
  const top = stall.top[0]
  return {
    time: formatClock(new Date(stall.at)),
    duration: formatMs(stall.durationMs),
    route: stall.route ?? '(no route)',
    gc: formatMs(stall.gcMs),
    top: top === undefined ? '–' : top.function || '(anonymous)',
    where: top === undefined || top.file === '' ? '' : `${shortPath(top.file, 2)}:${top.line}`,
    // Empty when there is a profile to show.
    note: stall.profile !== null ? '' : stall.reason === PENDING ? 'Profile coming…' : `No profile: ${stall.reason ?? 'unknown'}`
  }
}

/** What the picked stall's result says above its table: title, meta line and file name. */
export function stallHeading (stall) {
  const s = stallSummary(stall)
  return {
    title: `Stall at ${s.time}: the loop was blocked ${s.duration}`,
    meta: `Route ${s.route} · GC ${s.gc} inside it · CPU profile taken by the watchdog thread from when it saw the loop stuck until the loop turned`,
    filename: `stall-${fileStamp(new Date(stall.at))}.pb.gz`
  }
}
