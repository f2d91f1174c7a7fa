// One profile result on the page: header, sample type choice, downloads, the
// matching go tool pprof commands, a -top table and a flame graph. Replaces
// the previous result and frees its download URLs.
import { flameTree, percentBase, topRows } from './analysis.js'
import { renderFlame } from './flame.js'
import { renderTopTable } from './top-table.js'

function el (tag, className, text) {
  const e = document.createElement(tag)
  if (className) e.className = className
  if (text !== undefined) e.textContent = text
  return e
}

/** A downloadable copy of bytes already fetched: no second request. */
function downloadLink (bytes, filename, urls) {
  const a = el('a', 'download', `Download ${filename}`)
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }))
  urls.push(url)
  a.href = url
  a.download = filename
  return a
}

function command (text) {
  const code = el('code', 'command', text)
  const wrap = el('div', 'command-row')
  const copy = el('button', 'secondary small', 'Copy')
  copy.type = 'button'
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text)
      copy.textContent = 'Copied'
    } catch {
      copy.textContent = 'Select and copy'
    }
  })
  wrap.append(code, copy)
  return wrap
}

/** The result area of the page; show() fills it, redraw() redraws the flame graph at the new width. */
export function createResultView (result) {
  let blobUrls = []
  let redrawFlame = () => {}

  /** Shows one result: header, sample type choice, downloads, table, flame graph. */
  function show ({ title, meta, model, downloads, commands, diff }) {
    for (const url of blobUrls) URL.revokeObjectURL(url)
    blobUrls = []
    const panel = el('article', 'card result')
    panel.dataset.kind = diff ? 'diff' : 'profile'
    panel.append(el('h3', '', title))
    if (meta) panel.append(el('p', 'meta', meta))

    const options = el('div', 'row')
    const typeSelect = el('select')
    typeSelect.setAttribute('aria-label', 'sample type')
    model.sampleTypes.forEach((t, i) => {
      const o = el('option', '', `${t.type} (${t.unit})`)
      o.value = String(i)
      typeSelect.append(o)
    })
    typeSelect.value = String(model.defaultIndex)
    if (model.sampleTypes.length > 1) options.append(el('span', 'label', 'Show'), typeSelect)
    let direction = 'grew'
    if (diff) {
      const dirSelect = el('select')
      dirSelect.setAttribute('aria-label', 'flame graph of what grew or what shrank')
      for (const [value, text] of [['grew', 'flame graph: what grew'], ['shrank', 'flame graph: what shrank']]) {
        const o = el('option', '', text)
        o.value = value
        dirSelect.append(o)
      }
      dirSelect.addEventListener('change', () => {
        direction = dirSelect.value
        draw()
      })
      options.append(dirSelect)
    }
    panel.append(options)

    const links = el('div', 'downloads')
    for (const d of downloads) links.append(downloadLink(d.bytes, d.filename, blobUrls))
    panel.append(links)
    for (const c of commands) panel.append(command(c))

    const body = el('div', 'result-body')
    panel.append(body)
    result.replaceChildren(panel)

    const draw = () => {
      const index = Number(typeSelect.value)
      const { unit } = model.sampleTypes[index]
      const rows = topRows(model, index)
      const percentOf = percentBase(model, index) || 1
      if (rows.length === 0) {
        body.replaceChildren(el('p', 'empty', diff
          ? 'Nothing changed between the baseline and now for this sample type.'
          : 'This profile is empty: it has no samples for this sample type.'))
        redrawFlame = () => {}
        return
      }
      const table = el('div', 'top-table')
      const flameBox = el('div', 'flame')
      const details = el('p', 'flame-details')
      details.textContent = 'Hover a frame for its name, file and value; click to zoom.'
      body.replaceChildren(el('h4', '', diff ? 'Top: largest growth first' : 'Top'), table, el('h4', '', diff ? `Flame graph: what ${direction}` : 'Flame graph'), details, flameBox)
      renderTopTable(table, rows, { unit, percentOf })
      const tree = flameTree(model, index, diff && direction === 'shrank' ? -1 : 1)
      if (tree.value === 0) {
        flameBox.replaceChildren(el('p', 'empty', `Nothing ${direction}.`))
        redrawFlame = () => {}
      } else {
        redrawFlame = renderFlame(flameBox, details, tree, { unit, percentOf, colors: diff ? direction : undefined })
      }
    }
    typeSelect.addEventListener('change', draw)
    draw()
  }

  return { show, redraw: () => redrawFlame() }
}
