// The route table is the one list of what the plugin serves: registration,
// Go's index, the page and the README read it, and this test holds it to
// that (Go's TestDescriptions in spirit).
import type { HTTPMethods } from 'fastify'
import { describe, expect, it } from 'vitest'
import { ROUTES } from '../src/routes.js'
import { build } from './support/app.js'

// runtime/pprof's profiles plus the CPU profile: what Go's /debug/pprof/ index lists.
const GO_PROFILES = ['allocs', 'block', 'goroutine', 'heap', 'mutex', 'profile', 'threadcreate']

describe('the route table', () => {
  it('describes every route, once per path, and names each of Go\'s profiles once', () => {
    for (const r of ROUTES) expect(r.description.length, r.path).toBeGreaterThan(10)
    expect(new Set(ROUTES.map((r) => r.path)).size).toBe(ROUTES.length)
    const goNames = ROUTES.flatMap((r) => r.go === undefined ? [] : [r.go.name]).sort()
    expect(goNames).toEqual(GO_PROFILES)
    for (const r of ROUTES.filter((r) => r.go !== undefined)) expect(r.path).toBe(`/pprof/${r.go?.name ?? ''}`)
  })

  it('is what the plugin mounts: every entry with its methods, opt-in entries only when their option is on', async () => {
    const off = await build({ heapSnapshot: false, leakWatch: false, requests: false, stallWatch: false })
    const on = await build({ heapSnapshot: true, retainers: true, stallWatch: true, prefix: '/ops' })
    try {
      expect(ROUTES.filter((r) => r.optIn !== undefined).map((r) => r.optIn)).toEqual(expect.arrayContaining(['heapSnapshot', 'leakWatch', 'retainers', 'requests', 'stallWatch']))
      for (const r of ROUTES) {
        const methods: readonly HTTPMethods[] = r.methods ?? ['GET', 'HEAD']
        for (const method of methods) {
          expect(off.hasRoute({ method, url: `/debug${r.path}` }), `${method} ${r.path}`).toBe(r.optIn === undefined)
          expect(on.hasRoute({ method, url: `/ops${r.path}` }), `${method} ${r.path}`).toBe(true)
        }
      }
    } finally {
      await off.close()
      await on.close()
    }
  })

  it('is what Go\'s index lists, with Go\'s descriptions and a count per profile', async () => {
    const app = await build()
    try {
      const html = (await app.inject('/debug/pprof/')).payload
      const listed = [...html.matchAll(/<tr><td>(\d+)<\/td><td><a href='([a-z]+)\?debug=1'>/g)].map((m) => m[2])
      expect(listed).toEqual(GO_PROFILES)
      for (const r of ROUTES) if (r.go !== undefined) expect(html).toContain(`${r.go.name}: </div> ${r.go.description.replaceAll("'", '&#39;')}`)
    } finally {
      await app.close()
    }
  })
})
