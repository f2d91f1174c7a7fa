import type { HeapGraph } from './graph.js'

const UNVISITED = 0xffffffff
// Node 26's V8 names its identity maps' root '(Identity map)': a Map reached through one reads '(GC roots) › [] › (Identity map) › [] › Map'.
const LAST_ROOTS = ['(Stack roots)', '(Handle scope)', '(Identity map)']

/** The shortest retainer tree: for each node reached from the root, the edge it was first reached by. */
export interface RetainerTree {
  /** Nodes in breadth-first order: every node comes after its retainer. */
  readonly order: Uint32Array
  readonly reached: number
  /** Retaining node, UNVISITED for the root and for nodes only weakly held (garbage-to-be). */
  readonly parent: Uint32Array
  /** The edge from parent[n] to n. */
  readonly parentEdge: Uint32Array
}

export { UNVISITED }

/**
 * Breadth-first from the snapshot's synthetic root (node 0) over forward edges:
 * the first edge that reaches a node is on one of its shortest paths from the
 * GC roots, so no reverse-edge index is needed. Weak edges do not keep
 * anything alive and are skipped; shortcut edges are skipped except from the
 * root (where they mark the user's global objects), as DevTools computes
 * distances, so a path is made of the references that really retain.
 *
 * The stack and the handle scopes are walked last: a snapshot is written from
 * a running function, whose frames reach almost everything in a step or two
 * and would name a stack slot instead of the variable that keeps the object.
 * So are V8's identity maps (strong roots named `... / IdentityMapBase`), which
 * hold objects V8 is working on at that moment (seen: a leaking Map, reached
 * in one step, once in a few snapshots).
 */
export function shortestRetainers (g: HeapGraph): RetainerTree {
  const weak = g.edgeTypes.indexOf('weak')
  const shortcut = g.edgeTypes.indexOf('shortcut')
  const synthetic = g.nodeTypes.indexOf('synthetic')
  const element = g.edgeTypes.indexOf('element')
  const hidden = g.edgeTypes.indexOf('hidden')
  const parent = new Uint32Array(g.nodeCount).fill(UNVISITED)
  const parentEdge = new Uint32Array(g.nodeCount)
  const order = new Uint32Array(g.nodeCount)
  if (g.nodeCount === 0) return { order, reached: 0, parent, parentEdge }
  const seen = new Uint8Array(g.nodeCount)
  const last = new Set(LAST_ROOTS.map((name) => g.strings.indexOf(name)).filter((i) => i >= 0))
  const transient = new Set<number>()
  g.strings.forEach((s, i) => { if (s?.endsWith('IdentityMapBase') === true) transient.add(i) })
  const deferred: Array<[node: number, edge: number]> = []
  seen[0] = 1
  let head = 0
  let tail = 1
  const visit = (from: number, e: number): void => {
    const to = g.edgeTo[e] as number
    if (seen[to] === 1) return
    seen[to] = 1
    parent[to] = from
    parentEdge[to] = e
    order[tail++] = to
  }
  while (true) {
    while (head < tail) {
      const node = order[head++] as number
      const end = g.firstEdge[node + 1] as number
      for (let e = g.firstEdge[node] as number; e < end; e++) {
        const type = g.edgeType[e]
        if (type === weak || (type === shortcut && node !== 0)) continue
        const to = g.edgeTo[e] as number
        if ((last.has(g.nodeName[to] as number) && g.nodeType[to] === synthetic) || (type !== element && type !== hidden && transient.has(g.edgeName[e] as number))) {
          deferred.push([node, e])
          continue
        }
        visit(node, e)
      }
    }
    const next = deferred.shift()
    if (next === undefined) break
    visit(next[0], next[1])
  }
  return { order, reached: tail, parent, parentEdge }
}
