// Allocations with a known owner, for heap profiles in tests. Plain loops in
// functions too large to inline (see the V8 attribution pitfalls), so that the
// sampling heap profiler charges the objects to these very functions.

interface Node { index: number, payload: number[], next: Node | null, label: string }

const kept: Node[][] = []
const leaked: Node[][] = []

/** Keeps about `megabytes` MB alive until releaseRetained(). */
export function retainForPageTest (megabytes: number): number {
  const count = Math.floor(megabytes * 1024 * 1024 / 120)
  const chunk: Node[] = []
  let previous: Node | null = null
  for (let i = 0; i < count; i++) {
    const node: Node = { index: i, payload: [i, i + 1, i + 2, i + 3, i + 4], next: previous, label: 'retained' }
    if (i % 3 === 0) node.payload.push(i * 2)
    chunk.push(node)
    previous = i % 1000 === 0 ? null : node
  }
  kept.push(chunk)
  return chunk.length
}

/** Leaks about `megabytes` MB on purpose: what a baseline diff must find. */
export function leakForPageTest (megabytes: number): number {
  const count = Math.floor(megabytes * 1024 * 1024 / 120)
  const chunk: Node[] = []
  let previous: Node | null = null
  for (let i = 0; i < count; i++) {
    const node: Node = { index: count - i, payload: [i, i * 3, i * 5, i * 7, i * 11], next: previous, label: 'leaked' }
    if (i % 5 === 0) node.payload.push(i % 97)
    chunk.push(node)
    previous = i % 500 === 0 ? null : node
  }
  leaked.push(chunk)
  return chunk.length
}

export function releaseRetained (): void {
  kept.length = 0
  leaked.length = 0
}
