import { readdirSync, statSync } from 'node:fs'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { heavyHolder } from '../src/profiler/process-guard.js'
import { SNAPSHOT_DIR_PREFIX } from '../src/profiler/heap-snapshot.js'
import { build } from './support/app.js'
import { until } from './support/wait.js'

const leftovers = (): string[] => readdirSync(os.tmpdir()).filter((n) => n.startsWith(SNAPSHOT_DIR_PREFIX))

afterEach(() => { vi.restoreAllMocks() })

describe('GET /debug/heapsnapshot', () => {
  it('is off unless enabled', async () => {
    const app = await build()
    try {
      expect((await app.inject('/debug/heapsnapshot')).statusCode).toBe(404)
    } finally {
      await app.close()
    }
  })

  it('streams a snapshot that Chrome DevTools can load, then deletes its private file', async () => {
    const app = await build({ heapSnapshot: true })
    try {
      const before = leftovers().length
      const res = await app.inject('/debug/heapsnapshot')
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('application/octet-stream')
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="heap-[0-9TZ-]+\.heapsnapshot"$/)
      const snapshot = JSON.parse(res.payload) as { snapshot: { meta: { node_fields: string[] }, node_count: number }, strings: string[] }
      expect(snapshot.snapshot.meta.node_fields).toContain('name')
      expect(snapshot.snapshot.node_count).toBeGreaterThan(1000)
      expect(snapshot.strings.length).toBeGreaterThan(100)
      await until(() => leftovers().length === before)
      expect(heavyHolder()).toBeUndefined()
    } finally {
      await app.close()
    }
  })

  it('answers 503 before writing anything when the snapshot would not fit in memory', async () => {
    vi.spyOn(os, 'freemem').mockReturnValue(1024 * 1024)
    const app = await build({ heapSnapshot: true })
    try {
      const before = leftovers().length
      const res = await app.inject('/debug/heapsnapshot')
      expect(res.statusCode).toBe(503)
      expect(res.payload).toMatch(/^not enough memory for a heap snapshot: needs about \d+ MB, 1 MB available\n$/)
      expect(leftovers().length).toBe(before)
      expect(heavyHolder()).toBeUndefined()
    } finally {
      await app.close()
    }
  })

  it('deletes the file when the download is aborted, writes it 0600 in a 0700 directory, and holds the profiler meanwhile', async () => {
    const app = await build({ heapSnapshot: true })
    await app.listen({ host: '127.0.0.1', port: 0 })
    try {
      const port = (app.server.address() as AddressInfo).port
      const before = leftovers()
      // What the callback saw, checked after: an expect() thrown inside an http callback would not fail the test.
      const seen: { modes: number[], holder: string | undefined } = { modes: [], holder: undefined }
      await new Promise<void>((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: '/debug/heapsnapshot' }, (res) => {
          const dir = leftovers().find((d) => !before.includes(d))
          if (dir !== undefined) {
            const path = `${os.tmpdir()}/${dir}`
            seen.modes.push(statSync(path).mode & 0o777, statSync(`${path}/heap.heapsnapshot`).mode & 0o777)
          }
          seen.holder = heavyHolder()
          res.once('data', () => { req.destroy(); resolve() })
        })
        req.on('error', () => resolve())
        req.on('close', () => resolve())
        req.end()
      })
      expect(seen.modes).toEqual([0o700, 0o600])
      expect(seen.holder).toBe('heap snapshot')
      await until(() => leftovers().length === before.length && heavyHolder() === undefined)
      expect((await fetch(`http://127.0.0.1:${port}/debug/profile?seconds=1`)).status).toBe(200)
    } finally {
      await app.close()
    }
  })
})
