// The live overview: uPlot charts fed from /stats/history (then polled with
// ?since=), and the current MemStats-like numbers from /stats.
import { describeError, getJson } from './api.js'
import { formatBytes, formatCount, formatMs, formatPercent, formatAge } from './format.js'

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea']
const HEIGHT = 170
const clock = (seconds) => new Date(seconds * 1000).toTimeString().slice(0, 8)
const bytesAxis = (u, splits) => splits.map((v) => formatBytes(v))
const msAxis = (u, splits) => splits.map((v) => formatMs(v))
const legendValue = (fmt) => (u, v) => (v == null ? '–' : fmt(v))
// Byte ticks at 1, 2 and 5 times powers of 1024 and 10, so they read round (50MB, 100MB).
const BYTE_INCRS = [0, 1, 2, 3, 4].flatMap((k) => [1, 2, 5, 10, 20, 50, 100, 200, 500].map((m) => m * 1024 ** k))

/** Each chart: which history series it draws, and how. */
const CHARTS = {
  memory: {
    series: [['rss', 'rss'], ['heapTotal', 'heapTotal'], ['heapUsed', 'heapUsed'], ['external', 'external']],
    axes: [{ values: bytesAxis, incrs: BYTE_INCRS, size: 70 }],
    format: formatBytes
  },
  gc: {
    series: [['gcPauseMs', 'pause']],
    axes: [{ values: msAxis, size: 70 }],
    format: formatMs,
    fill: true
  },
  loop: {
    series: [['eventLoopDelayP99Ms', 'delay p99'], ['eventLoopUtilization', 'utilization', 'pct']],
    axes: [{ values: msAxis, size: 70 }, { scale: 'pct', side: 1, values: (u, s) => s.map((v) => Math.round(v * 100) + '%'), grid: { show: false }, size: 48 }],
    format: formatMs,
    formats: [formatMs, formatPercent],
    scales: { pct: { range: [0, 1] } }
  },
  resources: {
    series: [['activeResources', 'active resources'], ['requestsInFlight', 'requests in flight']],
    axes: [{ size: 70 }],
    format: formatCount
  }
}

/** Off the plot, the legend shows the latest values instead of dashes. */
function legendAtLatest (u) {
  if (u.cursor.idx == null && u.data[0].length > 0) u.setLegend({ idx: u.data[0].length - 1 })
}

function chartOptions (spec, width) {
  return {
    width,
    height: HEIGHT,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, ...(spec.scales ?? {}) },
    axes: [
      { stroke: '#555', size: 30, space: 70, values: (u, splits) => splits.map(clock) },
      ...spec.axes.map((a) => ({ stroke: '#555', ...a }))
    ],
    series: [
      { label: 'at', value: (u, v) => (v == null ? '–' : clock(v)) },
      ...spec.series.map(([, label, scale], i) => ({
        label,
        scale: scale ?? 'y',
        stroke: COLORS[i],
        width: 1.5,
        fill: spec.fill ? COLORS[i] + '22' : undefined,
        points: { show: false },
        value: legendValue((spec.formats ?? [])[i] ?? spec.format)
      }))
    ],
    hooks: { setData: [legendAtLatest], setCursor: [legendAtLatest] }
  }
}

/** The numbers beside the charts: Go's MemStats names where they map. */
function numberList (stats) {
  const m = stats.memstats
  const n = stats.node
  const lastPause = m.NumGC > 0 ? m.PauseNs[(m.NumGC + 255) % 256] / 1e6 : NaN
  return [
    ['Sys (rss)', formatBytes(m.Sys)],
    ['HeapAlloc', formatBytes(m.HeapAlloc)],
    ['HeapSys', formatBytes(m.HeapSys)],
    ['HeapInuse', formatBytes(m.HeapInuse)],
    ['HeapSizeLimit', formatBytes(m.HeapSizeLimit)],
    ['external', formatBytes(n.memoryUsage.external)],
    ['arrayBuffers', formatBytes(n.memoryUsage.arrayBuffers)],
    ['NumGC', formatCount(m.NumGC)],
    ['PauseTotal', formatMs(m.PauseTotalNs / 1e6)],
    ['last pause', formatMs(lastPause)],
    ['GCCPUFraction', formatPercent(m.GCCPUFraction)],
    ['loop delay p99', formatMs(n.eventLoop.delayMs.p99)],
    ['loop utilization', formatPercent(n.eventLoop.utilization)],
    ['active resources', formatCount(n.activeResources.total)],
    ['requests in flight', formatCount(n.requestsInFlight)],
    ['open fds', n.openFds == null ? '–' : formatCount(n.openFds)],
    ['detached contexts', formatCount(n.heap.number_of_detached_contexts)],
    ['uptime', formatAge(n.uptimeSeconds)]
  ]
}

function renderNumbers (dl, stats) {
  const items = numberList(stats).map(([name, value]) => {
    const pair = document.createElement('div')
    const dt = document.createElement('dt')
    dt.textContent = name
    const dd = document.createElement('dd')
    dd.textContent = value
    pair.append(dt, dd)
    return pair
  })
  dl.replaceChildren(...items)
}

/**
 * Starts the overview. `onStatus(text, isError)` reports polling trouble.
 * Returns nothing; it runs for the life of the page.
 */
export function startOverview ({ root, numbers, windowSelect, intervalMs, historySeconds, onStatus }) {
  const UPlot = globalThis.uPlot
  const columns = { t: [] }
  const charts = []
  let lastT = 0

  for (const box of root.querySelectorAll('[data-chart]')) {
    const spec = CHARTS[box.dataset.chart]
    if (spec === undefined) continue
    for (const [key] of spec.series) columns[key] ??= []
    if (historySeconds === 0) {
      box.textContent = 'History is off (historySeconds: 0).'
      continue
    }
    if (UPlot === undefined) {
      box.textContent = 'The chart library did not load.'
      continue
    }
    box.textContent = ''
    const plot = new UPlot(chartOptions(spec, Math.max(240, box.clientWidth)), [[], ...spec.series.map(() => [])], box)
    charts.push({ box, spec, plot })
  }

  const redraw = () => {
    const windowSeconds = Number(windowSelect.value)
    const from = windowSeconds > 0 ? Date.now() - windowSeconds * 1000 : -Infinity
    let start = columns.t.findIndex((t) => t >= from)
    if (start === -1) start = columns.t.length
    const x = columns.t.slice(start).map((t) => t / 1000)
    for (const { box, spec, plot } of charts) {
      plot.setData([x, ...spec.series.map(([key]) => columns[key].slice(start))])
      box.dataset.points = String(x.length)
      box.dataset.lastT = String(columns.t[columns.t.length - 1] ?? 0)
    }
  }

  new ResizeObserver(() => {
    for (const { box, plot } of charts) plot.setSize({ width: Math.max(240, box.clientWidth), height: HEIGHT })
  }).observe(root)
  windowSelect.addEventListener('change', redraw)

  const pollHistory = async () => {
    const h = await getJson('stats/history', lastT > 0 ? { since: lastT } : {})
    const s = h.series
    for (const key of Object.keys(columns)) columns[key].push(...(s[key] ?? []))
    // Keep what the server keeps, no more.
    const excess = columns.t.length - Math.max(1, h.capacity)
    if (excess > 0) for (const key of Object.keys(columns)) columns[key].splice(0, excess)
    lastT = columns.t[columns.t.length - 1] ?? lastT
    redraw()
  }
  const pollStats = async () => renderNumbers(numbers, await getJson('stats'))

  const every = Math.max(500, intervalMs)
  let failures = 0
  const tick = async () => {
    // A hidden tab asks nothing of the server; it catches up with ?since= when shown.
    if (document.hidden) {
      document.addEventListener('visibilitychange', tick, { once: true })
      return
    }
    try {
      await Promise.all([historySeconds === 0 ? null : pollHistory(), pollStats()])
      if (failures > 0) onStatus('Live: updating again.', false)
      else onStatus(`Live: updated every ${every % 1000 === 0 ? every / 1000 : (every / 1000).toFixed(1)} s.`, false)
      failures = 0
    } catch (err) {
      failures++
      onStatus(`Live update failed: ${describeError(err)} Retrying.`, true)
    }
    // Back off while the server does not answer, up to half a minute.
    setTimeout(tick, Math.min(30_000, every * 2 ** Math.min(failures, 6)))
  }
  tick()
}
