// The profile buttons: heap, heap growth, CPU, baseline and compare. One
// request at a time; long ones show a countdown and can be cancelled
// (aborting the request closes the connection, which stops the profile on
// the server). Each result gets a -top table, a flame graph, a download and
// the matching go tool pprof command.
import { describeError, getBytes, routeUrl } from './api.js'
import { diffProfiles } from './analysis.js'
import { decodeProfile } from './decode.js'
import { fileStamp, formatAge, formatClock, formatValue } from './format.js'
import { createResultView } from './result-view.js'

export function startProfiles ({ ids, maxSeconds, defaultSeconds }) {
  const $ = (id) => document.getElementById(id)
  const buttons = ['heap', 'delta', 'cpu', 'baseline', 'compare'].map($)
  const progress = $(ids.progress)
  const progressText = $(ids.progressText)
  const progressBar = $(ids.progressBar)
  const message = $(ids.message)
  const result = $(ids.result)
  const baselineInfo = $(ids.baselineInfo)
  const cpuSeconds = $('cpu-seconds')
  const deltaSeconds = $('delta-seconds')
  const gc = $('heap-gc')

  for (const input of [cpuSeconds, deltaSeconds]) input.max = String(maxSeconds)
  cpuSeconds.value = String(Math.min(10, defaultSeconds, maxSeconds))
  deltaSeconds.value = String(Math.min(30, maxSeconds))

  let running = null
  let baseline = null
  const view = createResultView(result)
  const show = (shown) => view.show(shown)

  const setMessage = (text, kind) => {
    message.hidden = text === ''
    message.textContent = text
    message.className = `notice ${kind ?? ''}`
  }

  const seconds = (input) => {
    const n = Number(input.value)
    if (!Number.isInteger(n) || n < 1 || n > maxSeconds) {
      throw new RangeError(`Seconds must be a whole number from 1 to ${maxSeconds}.`)
    }
    return n
  }

  /** Runs one request with the buttons disabled, a countdown if it lasts, and a cancel button. */
  const run = async (label, durationSeconds, work) => {
    if (running !== null) return
    const controller = new AbortController()
    running = controller
    for (const b of buttons) b.disabled = true
    setMessage('')
    progress.hidden = false
    progress.dataset.state = 'running'
    const started = Date.now()
    const update = () => {
      const left = durationSeconds - (Date.now() - started) / 1000
      if (durationSeconds > 0 && left > 0) {
        progressText.textContent = `${label}: ${Math.ceil(left)} s left`
        progressBar.max = durationSeconds
        progressBar.value = durationSeconds - left
      } else {
        progressText.textContent = `${label}: ${durationSeconds > 0 ? 'collecting' : 'working'}…`
        progressBar.removeAttribute('value')
      }
    }
    update()
    const timer = setInterval(update, 250)
    const onCancel = () => controller.abort()
    $(ids.cancel).addEventListener('click', onCancel)
    try {
      await work(controller.signal)
    } catch (err) {
      setMessage(describeError(err), err?.name === 'AbortError' ? 'info' : 'error')
    } finally {
      clearInterval(timer)
      $(ids.cancel).removeEventListener('click', onCancel)
      progress.hidden = true
      progress.dataset.state = 'idle'
      running = null
      for (const b of buttons) b.disabled = false
      $('compare').disabled = baseline === null && ringBaseline === null
    }
  }

  const describeTotal = (model) => {
    const i = model.defaultIndex
    const t = model.sampleTypes[i]
    let sum = 0
    for (const s of model.samples) sum += s.values[i]
    return `${formatValue(sum, t.unit)} ${t.type}`
  }

  const fetchProfile = async (path, params, signal) => {
    const bytes = await getBytes(path, params, signal)
    return { bytes, model: await decodeProfile(bytes), at: new Date() }
  }

  const heapParams = () => (gc.checked ? { gc: 1 } : {})

  $('heap').addEventListener('click', () => run('Heap profile', 0, async (signal) => {
    const params = heapParams()
    const { bytes, model, at } = await fetchProfile('heap', params, signal)
    const filename = `heap-${fileStamp(at)}.pb.gz`
    show({
      title: 'Heap in use',
      meta: `Taken at ${formatClock(at)}${gc.checked ? ' after a GC' : ''} · ${describeTotal(model)}`,
      model,
      downloads: [{ bytes, filename }],
      commands: [`go tool pprof -http=: ${filename}`, `go tool pprof -top ${routeUrl('heap', params)}`]
    })
  }))

  $('delta').addEventListener('click', () => {
    let n
    try {
      n = seconds(deltaSeconds)
    } catch (err) {
      return setMessage(err.message, 'error')
    }
    run(`Heap growth over ${n} s`, n, async (signal) => {
      const params = { seconds: n, ...heapParams() }
      const { bytes, model, at } = await fetchProfile('heap', params, signal)
      const filename = `heap-delta-${n}s-${fileStamp(at)}.pb.gz`
      show({
        title: `Heap growth over ${n} s`,
        meta: `Ended at ${formatClock(at)} · positive values grew, negative shrank`,
        model,
        diff: true,
        downloads: [{ bytes, filename }],
        commands: [`go tool pprof -top ${filename}`, `go tool pprof -top ${routeUrl('heap', params)}`]
      })
    })
  })

  $('cpu').addEventListener('click', () => {
    let n
    try {
      n = seconds(cpuSeconds)
    } catch (err) {
      return setMessage(err.message, 'error')
    }
    run(`CPU profile for ${n} s`, n, async (signal) => {
      const { bytes, model, at } = await fetchProfile('profile', { seconds: n }, signal)
      const filename = `cpu-${n}s-${fileStamp(at)}.pb.gz`
      show({
        title: `CPU profile, ${n} s`,
        meta: `Ended at ${formatClock(at)} · ${describeTotal(model)}`,
        model,
        downloads: [{ bytes, filename }],
        commands: [`go tool pprof -http=: ${filename}`, `go tool pprof -top -seconds ${n} ${routeUrl('profile')}`]
      })
    })
  })

  // The leak watch's oldest capture: the baseline until the tab sets its own.
  let ringBaseline = null

  const updateBaselineInfo = () => {
    if (baseline === null) {
      if (ringBaseline === null) return
      const age = (Date.now() - ringBaseline.at) / 1000
      baselineInfo.textContent = `Baseline: the leak watch's capture from ${formatClock(new Date(ringBaseline.at))} (${formatAge(age)} ago). Set one of your own to compare with it instead.`
      return
    }
    const age = (Date.now() - baseline.at.getTime()) / 1000
    baselineInfo.textContent = `Baseline from ${formatClock(baseline.at)} (${formatAge(age)} ago): ${describeTotal(baseline.model)}. Kept in this tab only.`
  }

  /** What grew since a leak watch capture: the server's delta (/heap?since=), shown like heap growth. */
  const growthSince = ({ at, seconds }) => run(`What grew since ${formatClock(new Date(at))}`, 0, async (signal) => {
    const params = { since: `${seconds}s`, ...heapParams() }
    const now = await fetchProfile('heap', params, signal)
    const filename = `heap-since-${fileStamp(new Date(at))}.pb.gz`
    show({
      title: `What grew since ${formatClock(new Date(at))} (${formatAge(seconds)})`,
      meta: 'From the leak watch\'s post-GC captures around then to the newest (medians at each end, each function weighted by its trend; the profile\'s comments say which) · positive values grew, negative shrank',
      model: now.model,
      diff: true,
      downloads: [{ bytes: now.bytes, filename }],
      commands: [`go tool pprof -top ${filename}`, `go tool pprof -top ${routeUrl('heap', params)}`]
    })
  })
  setInterval(updateBaselineInfo, 5000)

  $('baseline').addEventListener('click', () => run('Setting the baseline', 0, async (signal) => {
    baseline = await fetchProfile('heap', heapParams(), signal)
    updateBaselineInfo()
    setMessage(`Baseline set at ${formatClock(baseline.at)}. Come back later and press Compare.`, 'info')
  }))

  $('compare').addEventListener('click', () => {
    if (baseline === null && ringBaseline !== null) {
      growthSince({ at: ringBaseline.at, seconds: Math.max(1, Math.round((Date.now() - ringBaseline.at) / 1000)) })
    } else {
      compareWithTabBaseline()
    }
  })

  const compareWithTabBaseline = () => run('Comparing with the baseline', 0, async (signal) => {
    if (baseline === null) return
    const now = await fetchProfile('heap', heapParams(), signal)
    const model = diffProfiles(baseline.model, now.model)
    const base = `heap-baseline-${fileStamp(baseline.at)}.pb.gz`
    const current = `heap-${fileStamp(now.at)}.pb.gz`
    const age = (now.at - baseline.at) / 1000
    show({
      title: `What grew since ${formatClock(baseline.at)} (${formatAge(age)})`,
      meta: `Baseline ${describeTotal(baseline.model)} → now ${describeTotal(now.model)} · percentages are of the baseline`,
      model,
      diff: true,
      downloads: [{ bytes: baseline.bytes, filename: base }, { bytes: now.bytes, filename: current }],
      commands: [`go tool pprof -top -diff_base ${base} ${current}`, `go tool pprof -http=: -diff_base ${base} ${current}`]
    })
  })

  let resizeTimer
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer)
    resizeTimer = setTimeout(() => view.redraw(), 200)
  })

  return {
    growthSince,
    /** The leak watch's oldest capture ({ at }), or null: the default baseline. */
    setRingBaseline (capture) {
      ringBaseline = capture
      if (running === null) $('compare').disabled = baseline === null && ringBaseline === null
      updateBaselineInfo()
    }
  }
}
