// The flame graph, drawn by d3-flame-graph (its UMD build and the d3
// modules it needs are loaded before this module as one classic script,
// flamegraph.js, which defines the globals `flamegraph` (the factory is
// its `default`) and `d3`).
import { formatPercent, formatValue, shortPath } from './format.js'

/**
 * Draws `tree` (from analysis.flameTree) into `container`, root on top like
 * pprof's web view. Labels are set with textContent by the library.
 * Returns a function that redraws at the container's current width.
 */
export function renderFlame (container, details, tree, { unit, percentOf, colors }) {
  const { flamegraph, d3 } = globalThis
  if (flamegraph === undefined || d3 === undefined) {
    container.textContent = 'The flame graph library did not load.'
    return () => {}
  }
  const label = (d) => {
    const where = d.data.file === '' ? '' : ` — ${shortPath(d.data.file)}:${d.data.line}`
    return `${d.data.name}${where}: ${formatValue(d.value, unit)} (${formatPercent(d.value / percentOf)})`
  }
  const draw = () => {
    container.replaceChildren()
    const chart = flamegraph.default()
      .width(Math.max(280, container.clientWidth))
      .cellHeight(18)
      .transitionDuration(250)
      .minFrameSize(2)
      .inverted(true)
      .sort(true)
      .selfValue(false)
      .setDetailsElement(details)
    chart.setLabelHandler(label)
    if (colors === 'grew') chart.setColorHue('red')
    else if (colors === 'shrank') chart.setColorHue('green')
    d3.select(container).datum(tree).call(chart)
  }
  draw()
  return draw
}
