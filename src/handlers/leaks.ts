import { errors } from '../errors.js'
import { formatDuration } from '../duration.js'
import { parseChoice, type Query } from '../http/params.js'
import { sendProfile, sendText } from '../http/reply.js'
import { HOLDER_THRESHOLDS } from '../census/holders.js'
import type { CensusStatus } from '../census/index.js'
import type { LeakReportWithHolders } from '../census/verdict.js'
import { type Suspect, THRESHOLDS, type ViaFrame } from '../leaks/analysis.js'
import type { Origin } from '../leaks/origin.js'
import type { LeakWatch } from '../leaks/watch.js'
import type { MakeHandler } from './handler.js'

const MB = 1024 * 1024

function mb (bytes: number): string {
  return `${bytes >= 0 ? '' : '-'}${(Math.abs(bytes) / MB).toFixed(Math.abs(bytes) >= 100 * MB ? 0 : 1)} MB`
}

/** Suspect groups in the order a reader acts on them: the app's own code first. */
const ORIGIN_GROUPS: ReadonlyArray<readonly [Origin, string]> = [
  ['app', "in the app's own code"],
  ['dependency', 'in dependencies (a package allocated it)'],
  ['node', "in Node's own JavaScript (node: files)"],
  ['native', "native: memory V8 or Node's C++ allocated outside JavaScript ((V8 API): the HTTP parser's header and URL strings, for one)"]
]

/** What a node or native suspect with no app frame on its stack usually means. */
const PILE_UP = "no frame of the app's code on its stack: requests, sockets or buffers pile up: look at who keeps them (the 'kept by' lines below)"

function frameText (f: ViaFrame): string {
  return `${f.function}  ${f.file === '' ? '(no file)' : `${f.file}:${f.line}`}`
}

/** The suspects grouped by origin, app first, each most certain first, with the way from each to the app's code. */
function suspectLines (suspects: readonly Suspect[]): string[] {
  if (suspects.length === 0) return ['no suspects']
  const lines = ['suspects, by origin (the app\'s code first), most certain first in each:']
  for (const [origin, title] of ORIGIN_GROUPS) {
    const group = suspects.filter((s) => s.origin === origin)
    if (group.length === 0) continue
    lines.push(`  ${title}:`)
    for (const s of group) {
      const pkg = s.package === null ? '' : `package ${s.package}, `
      lines.push(`  ${mb(s.growthBytes).padStart(9)}  ${(mb(s.bytesPerHour) + '/h').padStart(11)}  ${s.function}  ${s.file === '' ? '(no file)' : `${s.file}:${s.line}`}  (${pkg}p=${s.p.toPrecision(2)}, second half p=${s.recentP.toPrecision(2)})`)
      if ((origin === 'node' || origin === 'native') && !s.viaReachesApp) lines.push(`               ${PILE_UP}`)
      s.via.forEach((f, i) => lines.push(`               ${i === 0 ? 'via' : ' <-'} ${frameText(f)}`))
    }
  }
  return lines
}

/** /leaks?debug=1: the report in words, for a terminal. */
function reportText (report: LeakReportWithHolders, watch: LeakWatch, evidence: ReadonlyArray<{ name: string, url: string, beforeStart: boolean }>, census: string): string {
  const lines = [`verdict: ${report.verdict}`]
  const every = formatDuration(watch.settings.intervalMs)
  lines.push(`captures: ${report.captures} of ${watch.ring.capacity}, one every ${every}; ${report.postGcCaptures} taken right after a major GC, over ${formatDuration(report.window.seconds * 1000)}`)
  lines.push(`near the heap limit: profiles are written when the old generation passes ${mb(watch.evidenceThresholdBytes)} (nearHeapLimit ${watch.settings.nearHeapLimit} of where V8 may give up, 80 % of its ceiling)`)
  if (report.postGcCaptures > 0) {
    lines.push(`post-GC heap: ${mb(report.heap.firstBytes)} -> ${mb(report.heap.lastBytes)}, trend ${mb(report.heap.postGcSlopeBytesPerHour)}/h (p=${report.heap.p.toPrecision(2)})`)
  }
  if (report.setAside > 0) lines.push(`${report.setAside} post-GC capture(s) left out of the trends: the used heap stood far above the others' line (a large transient was live)`)
  if (report.verdict === 'warming-up') lines.push(`a verdict needs ${THRESHOLDS.minCaptures} captures taken right after a major GC`)
  lines.push('', ...suspectLines(report.suspects))
  lines.push('', report.holders.length > 0 ? 'kept by (collections whose size keeps rising, most certain first):' : `kept by: ${census}`)
  for (const h of report.holders) {
    const sample = [h.sample.keys.length > 0 ? `keys ${h.sample.keys.join(', ')}` : '', h.sample.values.length > 0 ? `values ${h.sample.values.join(', ')}` : ''].filter((x) => x !== '').join('; ')
    lines.push(`  ${String(h.entries).padStart(9)} entries  +${h.growth} (${h.entriesPerHour}/h)  ${h.kind}  ${h.path}${h.alike > 1 ? ` (${h.alike} alike, * for their indexes)` : ''}${sample === '' ? '' : `  [${sample}]`}`)
  }
  if (evidence.length > 0) {
    lines.push('', 'heap profiles written near the heap limit:')
    for (const e of evidence) lines.push(`  ${e.url}${e.beforeStart ? '  (before the last crash)' : ''}`)
  }
  return lines.join('\n') + '\n'
}

/** Why no holder is named: the census is off, cannot run, has too few counts yet, or saw none grow. */
function censusWords (status: CensusStatus | undefined): string {
  if (status === undefined) return 'the census is off (leakWatch.census: false)'
  if (!status.available) return `the census cannot run: ${status.reason ?? 'unknown'}`
  if (status.censuses < HOLDER_THRESHOLDS.minCensuses) return `the census needs ${HOLDER_THRESHOLDS.minCensuses} counts to name a holder (${status.censuses} so far)`
  return `no collection keeps growing (${status.censuses} counts of ${status.collections} collections)`
}

/** `/leaks`: the leak watch's verdict and suspects as JSON (field names fixed), or words with ?debug=1. */
export const leaks: MakeHandler = (ctx) => async (request, reply) => {
  const debug = parseChoice(request.query as Query, 'debug', [0, 1])
  const watch = ctx.leakWatch as LeakWatch
  const report = ctx.leakReport() as LeakReportWithHolders
  const evidence = (watch.evidence?.list() ?? []).map((f) => ({ ...f, url: `${ctx.options.prefix}/leaks/evidence/${f.name}` }))
  if (debug === 1) return sendText(reply, reportText(report, watch, evidence, censusWords(ctx.census?.status())))
  return reply.header('content-type', 'application/json; charset=utf-8').send({
    ...report,
    intervalMs: watch.settings.intervalMs,
    keep: watch.ring.capacity,
    nextCaptureAt: watch.nextCaptureAt,
    nearHeapLimitBytes: watch.evidenceThresholdBytes,
    evidence
  })
}

/** `/leaks/evidence/<file>`: a profile the leak watch wrote near the heap limit, by its listed name. */
export const leakEvidence: MakeHandler = (ctx) => async (request, reply) => {
  const name = (request.params as { file: string }).file
  const body = ctx.leakWatch?.evidence?.read(name)
  if (body === undefined) throw new errors.FST_PPROF_UNKNOWN_PROFILE()
  return sendProfile(reply, name, body)
}
