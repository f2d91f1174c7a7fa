import type { RetainerCluster } from './analyze.js'

/** The answer of /leaks/retainers and of the CLI (fields are read by tools: keep their names). */
export interface RetainersReport {
  /** True when there was no earlier snapshot to compare with: this one is the base, ask again. */
  readonly baseline: boolean
  /** One sentence on what was compared with what. */
  readonly note: string
  /** Objects with an id above this are new; null for a baseline. */
  readonly watermark: number | null
  /** V8 started its object ids over since the base (an inspector HeapProfiler.disable): the comparison was dropped. */
  readonly idsReset: boolean
  readonly maxNodeId: number
  readonly nodes: { readonly total: number, readonly reachable: number, readonly new: number }
  readonly newBytes: number
  /** Largest self size first. */
  readonly clusters: readonly RetainerCluster[]
}

const KB = 1024

function bytes (n: number): string {
  if (n >= KB * KB) return `${(n / KB / KB).toFixed(1)} MB`
  if (n >= KB) return `${(n / KB).toFixed(1)} KB`
  return `${n} B`
}

/** The text form (?debug=1, the CLI): clusters as `count  bytes  path`, then what they are made of. */
export function renderClusters (report: RetainersReport): string {
  const lines = [report.note, `snapshot: ${report.nodes.total} nodes, ${report.nodes.reachable} reachable, ${report.nodes.new} new (${bytes(report.newBytes)}); highest object id ${report.maxNodeId}`]
  if (report.clusters.length === 0) {
    lines.push('', report.baseline ? 'no clusters: this snapshot is the base' : 'no new objects are kept')
    return lines.join('\n') + '\n'
  }
  lines.push('', 'new objects by retainer path, largest first (count, self size, path from the GC roots to the retainer that is not new):')
  for (const c of report.clusters) {
    lines.push(`${String(c.count).padStart(9)}  ${bytes(c.selfSize).padStart(9)}  ${c.path}`)
    lines.push(`${' '.repeat(22)}${c.objects.map((o) => `${o.name} ${o.count}`).join(', ')}`)
  }
  return lines.join('\n') + '\n'
}
