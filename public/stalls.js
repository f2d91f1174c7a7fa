// The "Event-loop stalls" panel: the stalls the watchdog thread caught while
// they happened (/stalls), newest first, and for the one picked, the CPU
// profile taken while the loop was stuck, as a -top table and a flame graph
// through the page's result view. Polls /stalls.
import { total } from './analysis.js'
import { describeError, getBytes, getJson, routeUrl } from './api.js'
import { decodeProfile } from './decode.js'
import { formatValue } from './format.js'
import { createResultView } from './result-view.js'
import { stallHeading, stallSummary, stallsText } from './stall-text.js'

function el (tag, className, text) {
  const e = document.createElement(tag)
  if (className) e.className = className
  if (text !== undefined) e.textContent = text
  return e
}

export function startStalls ({ root, pollMs, thresholdMs }) {
  const notice = root.querySelector('#stalls-status')
  const card = root.querySelector('#stalls-card')
  const list = root.querySelector('#stalls-list')
  const message = root.querySelector('#stall-message')
  const view = createResultView(root.querySelector('#stall-result'))
  let shown = ''
  let picked = null
  let loading = null

  const setNotice = (text, state) => {
    notice.textContent = text
    notice.dataset.state = state
  }
  const setMessage = (text, kind) => {
    message.hidden = text === ''
    message.textContent = text
    message.className = `notice ${kind ?? ''}`
  }

  if (thresholdMs === undefined || thresholdMs === null) {
    setNotice('The stall watch is off (stallWatch: false): no thread watches the event loop, and /stalls is not served.', 'off')
    return { poll: async () => {}, stop: () => {} }
  }

  /** Fetches and shows one stall's profile; a newer pick cancels the one loading. */
  const show = async (stall) => {
    loading?.abort()
    const controller = new AbortController()
    loading = controller
    picked = stall.profile
    markPicked()
    const heading = stallHeading(stall)
    setMessage(`Loading the profile of the stall at ${stallSummary(stall).time}…`, 'info')
    try {
      const bytes = await getBytes(stall.profile, {}, controller.signal)
      const model = await decodeProfile(bytes)
      const t = model.sampleTypes[model.defaultIndex]
      view.show({
        title: heading.title,
        meta: `${heading.meta} · ${formatValue(total(model, model.defaultIndex), t.unit)} ${t.type}`,
        model,
        downloads: [{ bytes, filename: heading.filename }],
        commands: [`go tool pprof -top ${routeUrl(stall.profile)}`, `go tool pprof -http=: ${heading.filename}`]
      })
      setMessage('')
    } catch (err) {
      if (err?.name !== 'AbortError') setMessage(err?.status === 404 ? 'That stall is no longer kept: newer stalls pushed it out of the ring.' : describeError(err), 'error')
    } finally {
      if (loading === controller) loading = null
    }
  }

  const markPicked = () => {
    for (const tr of list.querySelectorAll('tr')) tr.classList.toggle('picked', tr.dataset.profile === picked)
  }

  const row = (stall) => {
    const s = stallSummary(stall)
    const tr = el('tr')
    const route = el('td', 'route')
    route.append(el('code', '', s.route))
    const fn = el('td', 'fn')
    fn.append(el('span', 'name', s.top))
    if (s.where !== '') fn.append(el('div', 'hint', s.where))
    const action = el('td', 'action')
    if (stall.profile === null) {
      action.append(el('span', 'hint', s.note))
    } else {
      tr.dataset.profile = stall.profile
      const button = el('button', 'secondary small', 'Show profile')
      button.type = 'button'
      button.addEventListener('click', () => show(stall))
      action.append(button)
    }
    tr.append(el('td', '', s.time), el('td', 'num', s.duration), route, el('td', 'num', s.gc), fn, action)
    return tr
  }

  const poll = async () => {
    try {
      const body = await getJson('stalls')
      setNotice(stallsText(body), body.total === 0 ? 'none' : 'stalls')
      const key = JSON.stringify(body.stalls)
      if (key === shown) return
      shown = key
      list.replaceChildren(...body.stalls.map(row))
      card.hidden = body.stalls.length === 0
      markPicked()
    } catch (err) {
      setNotice(err?.status === 404 ? 'The stall watch is off (stallWatch: false).' : describeError(err), err?.status === 404 ? 'off' : 'error')
    }
  }
  poll()
  const timer = setInterval(() => { if (!document.hidden) poll() }, pollMs)
  let resizeTimer
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer)
    resizeTimer = setTimeout(() => view.redraw(), 200)
  })
  return { poll, stop: () => clearInterval(timer) }
}
