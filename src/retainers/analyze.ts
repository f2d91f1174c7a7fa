import type { HeapGraph } from './graph.js'
import { Labels } from './labels.js'
import { type RetainerTree, shortestRetainers, UNVISITED } from './paths.js'

/** Objects new since the watermark, kept along one retainer path. */
export interface RetainerCluster {
  /** Root to the nearest retainer that is not new, in words: edge names and constructor names. */
  readonly path: string
  /** The same path, one step per entry (edge, then what it reaches). */
  readonly steps: readonly string[]
  /** New objects kept along this path (held by that retainer, directly or through other new objects). */
  readonly count: number
  /** Their own sizes added up (not what they retain besides: that would count shared objects twice). */
  readonly selfSize: number
  /**
   * The new objects by constructor name, nearest to the retainer first, then most first (ten at most):
   * a Map's entries come before what each entry holds.
   */
  readonly objects: ReadonlyArray<{ readonly name: string, readonly count: number }>
}

export interface RetainerAnalysis {
  /** Largest self size first. */
  readonly clusters: readonly RetainerCluster[]
  readonly nodes: number
  readonly edges: number
  /** Nodes reachable from the GC roots without weak edges. */
  readonly reachable: number
  /** Reachable nodes with an id above the watermark. */
  readonly newNodes: number
  readonly newBytes: number
  readonly maxNodeId: number
  /** Ids of the nodes named `sentinel` (a constructor name), to tell when V8 started ids over. */
  readonly sentinelIds: readonly number[]
}

export interface AnalyzeOptions {
  /** Objects with an id above this are new. */
  readonly watermark: number
  /** Clusters returned, largest first. @defaultValue 20 */
  readonly maxClusters?: number
  /** A constructor name whose instances' ids are reported. */
  readonly sentinel?: string
}

const MAX_STEPS = 64
const OBJECT_NAMES = 10

/**
 * Groups the objects that are new since the watermark by where they hang:
 * each new object is charged to its nearest old ancestor on its shortest
 * retainer path (a collection that existed before and keeps growing stays
 * old, while its backing store is reallocated as it grows and is new), and
 * ancestors whose paths read the same are one cluster. Element indexes fold to
 * `[]`, so the thousand entries of one Map are one cluster.
 */
export function analyzeRetainers (g: HeapGraph, options: AnalyzeOptions): RetainerAnalysis {
  const tree = shortestRetainers(g)
  const labels = new Labels(g)
  const code = g.nodeTypes.indexOf('code')
  const { watermark } = options
  const anchor = new Uint32Array(g.nodeCount).fill(UNVISITED)
  const pathIds = new Map<number, number>()
  const paths = new PathTable(tree, labels)
  // Steps below the anchor, for ordering a cluster's objects (capped: only the first few matter).
  const depth = new Uint8Array(g.nodeCount)
  const clusters: Array<{ count: number, selfSize: number, objects: Map<string, { count: number, depth: number }> }> = []
  let newNodes = 0
  let newBytes = 0
  for (let k = 0; k < tree.reached; k++) {
    const n = tree.order[k] as number
    const id = g.nodeId[n] as number
    const p = tree.parent[n] as number
    // Even ids are the embedder's C++ nodes, numbered from hashes: never new, whatever their value.
    if (id <= watermark || (id & 1) === 0 || p === UNVISITED) {
      anchor[n] = n
      continue
    }
    // Code V8 compiled since is new but is no one's leak: walked through, never counted (its self size
    // would put lazily compiled functions above a leak's small objects).
    if (g.nodeType[n] === code) {
      anchor[n] = anchor[p] as number
      depth[n] = depth[p] as number
      continue
    }
    const a = anchor[p] as number
    anchor[n] = a
    const d = a === p ? 1 : Math.min(255, (depth[p] as number) + 1)
    depth[n] = d
    newNodes++
    const size = g.nodeSelfSize[n] as number
    newBytes += size
    let pathId = pathIds.get(a)
    if (pathId === undefined) {
      pathId = paths.idOf(a)
      pathIds.set(a, pathId)
    }
    let cluster = clusters[pathId]
    if (cluster === undefined) {
      cluster = { count: 0, selfSize: 0, objects: new Map() }
      clusters[pathId] = cluster
    }
    cluster.count++
    cluster.selfSize += size
    const name = labels.node(n)
    const seen = cluster.objects.get(name)
    if (seen === undefined) cluster.objects.set(name, { count: 1, depth: d })
    else {
      seen.count++
      if (d < seen.depth) seen.depth = d
    }
  }
  const ranked: RetainerCluster[] = []
  clusters.forEach((c, pathId) => {
    const steps = paths.steps(pathId)
    ranked.push({
      path: steps.join(' › '),
      steps,
      count: c.count,
      selfSize: c.selfSize,
      objects: [...c.objects].sort((x, y) => x[1].depth - y[1].depth || y[1].count - x[1].count)
        .slice(0, OBJECT_NAMES).map(([name, o]) => ({ name, count: o.count }))
    })
  })
  ranked.sort((x, y) => y.selfSize - x.selfSize || y.count - x.count)
  const sentinelIds: number[] = []
  if (options.sentinel !== undefined) {
    const name = g.strings.indexOf(options.sentinel)
    const object = g.nodeTypes.indexOf('object')
    // Instances only: the class's name is also the name of a string node and of the class itself.
    if (name >= 0) for (let n = 0; n < g.nodeCount; n++) if (g.nodeName[n] === name && g.nodeType[n] === object) sentinelIds.push(g.nodeId[n] as number)
  }
  return {
    clusters: ranked.slice(0, options.maxClusters ?? 20),
    nodes: g.nodeCount,
    edges: g.edgeCount,
    reachable: tree.reached,
    newNodes,
    newBytes,
    maxNodeId: g.maxNodeId,
    sentinelIds
  }
}

/**
 * Interns retainer paths: a node's path is its retainer's path plus one step,
 * so each distinct prefix is built once, and nodes whose paths read the same
 * share an id.
 */
class PathTable {
  readonly #tree: RetainerTree
  readonly #labels: Labels
  readonly #ofNode = new Map<number, number>()
  readonly #ids = new Map<string, number>()
  readonly #entries: Array<{ parent: number, step: string, depth: number }> = []

  constructor (tree: RetainerTree, labels: Labels) {
    this.#tree = tree
    this.#labels = labels
  }

  idOf (node: number): number {
    const known = this.#ofNode.get(node)
    if (known !== undefined) return known
    // Climb to the nearest node whose path is known (or the root), then come back down.
    const chain: number[] = []
    let n = node
    let base = -1
    while (true) {
      const k = this.#ofNode.get(n)
      if (k !== undefined) { base = k; break }
      const p = this.#tree.parent[n] as number
      if (p === UNVISITED) break
      chain.push(n)
      n = p
    }
    let id = base
    for (let i = chain.length - 1; i >= 0; i--) {
      const c = chain[i] as number
      const p = this.#tree.parent[c] as number
      // From the synthetic root, the edge says nothing: the first step is the root set it reaches.
      const step = p === 0 ? this.#labels.node(c) : `${this.#labels.edge(p, this.#tree.parentEdge[c] as number)} › ${this.#labels.node(c)}`
      const depth = id < 0 ? 1 : (this.#entries[id]?.depth ?? 0) + 1
      // Past MAX_STEPS, deeper steps fold into their ancestor's path: paths that long are one story.
      if (depth <= MAX_STEPS) {
        const key = `${id}\u0000${step}`
        let next = this.#ids.get(key)
        if (next === undefined) {
          next = this.#entries.length
          this.#entries.push({ parent: id, step, depth })
          this.#ids.set(key, next)
        }
        id = next
      }
      this.#ofNode.set(c, id)
    }
    if (id < 0) {
      // The root itself, never memoized: every chain must end at -1 for equal paths to share an id.
      id = this.#ids.get('(root)') ?? this.#entries.push({ parent: -1, step: '(root)', depth: 0 }) - 1
      this.#ids.set('(root)', id)
    }
    return id
  }

  steps (id: number): string[] {
    const out: string[] = []
    for (let e = this.#entries[id]; e !== undefined; e = this.#entries[e.parent]) {
      out.push(e.step)
      if (e.parent < 0) break
    }
    return out.reverse()
  }
}
