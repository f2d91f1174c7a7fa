// The sortable -top table. Every profile-derived string goes through
// textContent: function names and paths are data, never markup.
import { formatPercent, formatValue, shortPath } from './format.js'

const LIMIT = 25

const COLUMNS = [
  { id: 'flat', label: 'flat', sort: (a, b) => b.flat - a.flat || b.cum - a.cum },
  { id: 'flatPct', label: 'flat%' },
  { id: 'sumPct', label: 'sum%' },
  { id: 'cum', label: 'cum', sort: (a, b) => b.cum - a.cum || b.flat - a.flat },
  { id: 'cumPct', label: 'cum%' },
  { id: 'name', label: 'function', sort: (a, b) => a.name.localeCompare(b.name) },
  { id: 'file', label: 'file:line', sort: (a, b) => a.file.localeCompare(b.file) || a.line - b.line }
]

function el (tag, className, text) {
  const e = document.createElement(tag)
  if (className) e.className = className
  if (text !== undefined) e.textContent = text
  return e
}

/**
 * Renders rows ({ name, file, line, flat, cum }) into `container`.
 * Clicking a sortable header sorts by it; clicking again reverses.
 * sum% is the running total of flat% in the order shown, as in pprof.
 */
export function renderTopTable (container, rows, { unit, percentOf }) {
  let sortId = 'flat'
  let reversed = false
  let showAll = false

  const draw = () => {
    const column = COLUMNS.find((c) => c.id === sortId)
    const sorted = [...rows].sort(column.sort)
    if (reversed) sorted.reverse()
    const shown = showAll ? sorted : sorted.slice(0, LIMIT)

    const table = el('table', 'top')
    const head = table.createTHead().insertRow()
    for (const c of COLUMNS) {
      const th = el('th', `col-${c.id} ${c.id === 'name' || c.id === 'file' ? 'text' : 'num'}`)
      th.scope = 'col'
      if (c.sort) {
        const button = el('button', 'sort', c.label)
        button.type = 'button'
        button.addEventListener('click', () => {
          reversed = sortId === c.id ? !reversed : false
          sortId = c.id
          draw()
        })
        th.append(button)
        if (c.id === sortId) th.setAttribute('aria-sort', reversed ? 'ascending' : 'descending')
      } else {
        th.textContent = c.label
      }
      head.append(th)
    }

    const body = table.createTBody()
    let sum = 0
    for (const r of shown) {
      sum += r.flat
      const tr = body.insertRow()
      tr.className = r.flat > 0 ? 'grew' : r.flat < 0 ? 'shrank' : ''
      // The exact value, for scripts that read the page (the cell shows it rounded).
      tr.dataset.flat = String(r.flat)
      const where = r.file === '' ? '' : `${r.file}:${r.line}`
      const cells = [
        [formatValue(r.flat, unit), 'num col-flat'],
        [formatPercent(r.flat / percentOf), 'num col-flatPct'],
        [formatPercent(sum / percentOf), 'num col-sumPct'],
        [formatValue(r.cum, unit), 'num col-cum'],
        [formatPercent(r.cum / percentOf), 'num col-cumPct'],
        ['', 'fn col-name'],
        [r.file === '' ? '' : `${shortPath(r.file)}:${r.line}`, 'file col-file']
      ]
      for (const [text, cls] of cells) tr.append(el('td', cls, text))
      tr.cells[5].append(el('span', 'name', r.name))
      // The full path on hover, and under the name where the file column is hidden.
      if (where !== '') {
        tr.cells[5].title = where
        tr.cells[6].title = where
        tr.cells[5].append(el('span', 'where', shortPath(where, 2)))
      }
    }

    const parts = [el('div', 'scroll', undefined)]
    parts[0].append(table)
    if (sorted.length > LIMIT) {
      const more = el('button', 'secondary more', showAll ? `Show the first ${LIMIT}` : `Show all ${sorted.length} functions`)
      more.type = 'button'
      more.addEventListener('click', () => {
        showAll = !showAll
        draw()
      })
      parts.push(more)
    }
    container.replaceChildren(...parts)
  }
  draw()
}
