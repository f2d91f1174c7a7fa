// The "Growth over time" panel: the leak watch's verdict in words, the
// retained bytes of its top sites across the ring's captures, one click from
// any capture to what grew since then, and the profiles written near the heap
// limit (before the last crash, if there was one). Polls /leaks.
import { describeError, getJson, routeUrl } from './api.js'
import { formatAge, formatBytes, formatClock } from './format.js'

const COLORS = ['#dc2626', '#2563eb', '#16a34a', '#9333ea', '#ea580c']

function el (tag, className, text) {
  const e = document.createElement(tag)
  if (className) e.className = className
  if (text !== undefined) e.textContent = text
  return e
}

/** The verdict as a sentence a person acts on. */
export function verdictText (report) {
  const window = formatAge(report.window.seconds)
  if (report.verdict === 'warming-up') return `Warming up: ${report.postGcCaptures} of the 8 captures taken right after a major GC that a verdict needs (${report.captures} in all, one every ${formatAge(report.intervalMs / 1000)}).`
  if (report.verdict === 'steady') return `Steady: no allocation site kept growing over the last ${window} (${report.postGcCaptures} captures after a major GC).`
  const top = report.suspects[0]
  const holder = report.holders?.[0]
  if (top === undefined && holder !== undefined) return `Growing: ${holderName(holder)} keeps growing: ${holder.entries} entries, ${holder.growth} added over the census's window.`
  if (top === undefined) return `Growing: the heap after GC rose ${formatBytes(report.heap.postGcSlopeBytesPerHour)} per hour over ${window}, spread over many sites.`
  const where = `${top.file.slice(top.file.lastIndexOf('/') + 1)}:${top.line}`
  return `Growing: ${top.function} (${where}) grew ${formatBytes(top.growthBytes)} over ${window}, ${formatBytes(top.bytesPerHour)} per hour.`
}

/** A holder as a reader names it: its kind and its path. */
export function holderName (holder) {
  return `${holder.kind === 'listeners' ? 'the listener list' : `the ${holder.kind}`} ${holder.path}`
}

/** The census's holders as table rows: path (with its file), kind, entries, growth, rate, what it holds. */
export function holderRows (holders) {
  return holders.map((h) => {
    const tr = el('tr')
    const where = el('td', 'path')
    where.append(el('code', '', h.path))
    if (h.file) where.append(el('div', 'hint', h.file))
    if (h.alike > 1) where.append(el('div', 'hint', `${h.alike} alike: * stands for their indexes`))
    const holds = [...h.sample.keys.map((k) => `key ${k}`), ...h.sample.values.map((v) => `value ${v}`)].join(', ')
    tr.append(where, el('td', '', h.kind), el('td', 'num', String(h.entries)), el('td', 'num', `+${h.growth}`), el('td', 'num', String(h.entriesPerHour)), el('td', '', holds || '–'))
    return tr
  })
}

// Suspects by whose code allocated them (/leaks' origin), in the order a reader acts on them.
const ORIGIN_TITLES = [
  ['app', "In the app's own code"],
  ['dependency', 'In dependencies'],
  ['node', "In Node's own JavaScript"],
  ['native', "Native: allocated by V8 or Node's C++ outside JavaScript"]
]
const PILE_UP = "No frame of the app's code is on its allocation stack: requests, sockets or buffers pile up. Look at who keeps them (Kept by)."

/** Whose code allocated a suspect, in words. */
export function originText (suspect) {
  if (suspect.origin === 'dependency') return `allocated in the package ${suspect.package ?? 'under node_modules'}`
  if (suspect.origin === 'node') return `allocated in Node's own JavaScript (${suspect.file}): memory Node makes for requests, sockets, streams or buffers`
  if (suspect.origin === 'native') return "native memory allocated by Node's C++ outside JavaScript (V8 API), such as the header and URL strings of its HTTP parser"
  return "allocated in the app's own code"
}

/** The suspects grouped by origin, app first: [{ origin, title, suspects }], groups with none left out. */
export function suspectGroups (suspects) {
  return ORIGIN_TITLES.map(([origin, title]) => ({ origin, title, suspects: suspects.filter((s) => s.origin === origin) }))
    .filter((g) => g.suspects.length > 0)
}

/** The top suspect in words: what it is, then its way to the app's code, one line a frame. */
export function topSuspectLines (suspect) {
  const where = (f) => (f.file === '' ? f.function : `${f.function} (${f.file}:${f.line})`)
  const lines = [`${where(suspect)}: ${originText(suspect)}.`]
  if ((suspect.origin === 'node' || suspect.origin === 'native') && !suspect.viaReachesApp) lines.push(PILE_UP)
  suspect.via.forEach((f, i) => lines.push(`${i === 0 ? 'via' : 'called by'} ${where(f)}`))
  return lines
}

/** The suspects card: groups by origin, then the top suspect's way to the app. */
function showSuspects (card, box, suspects) {
  card.hidden = suspects.length === 0
  if (suspects.length === 0) return box.replaceChildren()
  const blocks = suspectGroups(suspects).map((group) => {
    const div = el('div', 'suspect-group')
    div.dataset.origin = group.origin
    const list = el('ul')
    for (const s of group.suspects) list.append(el('li', '', `${s.function}${s.package ? ` [${s.package}]` : ''} ${s.file === '' ? '' : `${s.file.slice(s.file.lastIndexOf('/') + 1)}:${s.line} `}+${formatBytes(s.growthBytes)}`))
    div.append(el('h4', '', group.title), list)
    return div
  })
  const top = el('div', 'top-suspect')
  const [first, ...rest] = topSuspectLines(suspects[0])
  top.append(el('p', '', `Top suspect: ${first}`), ...rest.map((line) => el('p', line.startsWith('via') || line.startsWith('called by') ? 'via' : 'hint', line)))
  box.replaceChildren(top, ...blocks)
}

export function startGrowth ({ root, onSince, onOldest, pollMs }) {
  const verdict = root.querySelector('#leak-verdict')
  const chartBox = root.querySelector('[data-chart="growth"]')
  const captures = root.querySelector('#leak-captures')
  const evidence = root.querySelector('#leak-evidence')
  const holders = root.querySelector('#leak-holders')
  const holdersCard = root.querySelector('#leak-holders-card')
  let chart = null
  let chartSites = ''
  let shownAt = -1

  const drawChart = (report) => {
    const { at, sites } = report.chart
    const data = [at.map((t) => t / 1000), ...sites.map((s) => s.bytes)]
    const width = Math.max(280, chartBox.clientWidth)
    const names = sites.map((s) => `${s.function} ${s.file}:${s.line}`).join('\n')
    // Short windows read in seconds.
    const span = (at[at.length - 1] ?? 0) - (at[0] ?? 0)
    const clock = (v) => new Date(v * 1000).toTimeString().slice(0, span < 3_600_000 ? 8 : 5)
    if (chart === null || names !== chartSites) {
      chartSites = names
      chart?.destroy()
      const UPlot = globalThis.uPlot
      chart = new UPlot({
        width,
        height: 200,
        legend: { live: true },
        scales: { x: { time: true } },
        axes: [{ stroke: '#555', values: (u, s) => s.map(clock) }, { stroke: '#555', size: 70, values: (u, s) => s.map(formatBytes) }],
        series: [{ label: 'at' }, ...sites.map((s, i) => ({ label: s.function, stroke: COLORS[i], width: 1.5, value: (u, v) => (v == null ? '–' : formatBytes(v)) }))]
      }, data, chartBox)
    } else {
      chart.setData(data)
    }
    chartBox.dataset.points = String(at.length)
  }

  const listCaptures = (report) => {
    const rows = report.timeline.map(({ at, heapUsed, afterGc }) => {
      const tr = el('tr')
      const age = Math.max(1, Math.round((Date.now() - at) / 1000))
      const button = el('button', 'secondary small', 'What grew since then')
      button.type = 'button'
      button.addEventListener('click', () => onSince({ at, seconds: age }))
      const cell = el('td')
      cell.append(button)
      tr.append(el('td', '', formatClock(new Date(at))), el('td', '', `${formatAge(age)} ago`), el('td', '', `${formatBytes(heapUsed)}${afterGc ? ' after GC' : ''}`), cell)
      return tr
    }).reverse()
    captures.replaceChildren(...rows)
  }

  const listEvidence = (report) => {
    const items = report.evidence.map((file) => {
      const li = el('li')
      const a = el('a', '', file.name)
      a.href = routeUrl(`leaks/evidence/${file.name}`)
      li.append(a, el('span', 'hint', ` ${formatBytes(file.bytes)}, ${file.beforeStart ? 'captured before the last crash' : 'written by this process'}`))
      return li
    })
    evidence.replaceChildren(...items)
    evidence.hidden = items.length === 0
  }

  const poll = async () => {
    try {
      const report = await getJson('leaks')
      verdict.textContent = verdictText(report)
      verdict.dataset.verdict = report.verdict
      const last = report.timeline[report.timeline.length - 1]?.at ?? 0
      if (last !== shownAt) {
        shownAt = last
        drawChart(report)
        listCaptures(report)
      }
      listEvidence(report)
      showSuspects(root.querySelector('#leak-suspects-card'), root.querySelector('#leak-suspects'), report.suspects)
      const kept = report.holders ?? []
      holders.replaceChildren(...holderRows(kept))
      holdersCard.hidden = kept.length === 0
      const oldest = report.timeline[0]
      onOldest?.(oldest === undefined ? null : { at: oldest.at })
    } catch (err) {
      verdict.textContent = err?.status === 404 ? 'The leak watch is off (leakWatch: false).' : describeError(err)
      verdict.dataset.verdict = 'unknown'
    }
  }
  poll()
  const timer = setInterval(() => { if (!document.hidden) poll() }, pollMs)
  return { poll, stop: () => clearInterval(timer) }
}
