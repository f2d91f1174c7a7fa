// The page's pure modules (public/analysis.js, public/api.js, public/format.js) run in Node too:
// -top rows, the baseline diff with negative values, flame trees, and errors in words.
import { describe, expect, it } from 'vitest'

interface Frame { key: string, fn: string, name: string, file: string, line: number }
interface Model {
  sampleTypes: Array<{ type: string, unit: string }>
  defaultIndex: number
  samples: Array<{ stack: Frame[], values: number[] }>
  timeNanos: number
  durationNanos: number
  percentOf?: number[]
}
interface Row { name: string, file: string, line: number, flat: number, cum: number }
interface Tree { name: string, value: number, children: Tree[] }

// Plain browser modules without type declarations: imported by URL, typed here.
const load = async <T>(file: string): Promise<T> => await import(new URL(`../public/${file}`, import.meta.url).href) as T
const analysis = await load<{
  topRows: (m: Model, i: number) => Row[]
  diffProfiles: (a: Model, b: Model) => Model
  flameTree: (m: Model, i: number, sign?: number) => Tree
  percentBase: (m: Model, i: number) => number
}>('analysis.js')
const api = await load<{
  HttpError: new (status: number, body: string, retryAfter: string | null) => Error
  describeError: (err: unknown) => string
  routeUrl: (path: string, params?: Record<string, unknown>) => URL
}>('api.js')
const format = await load<{ formatBytes: (n: number) => string, formatValue: (n: number, unit: string) => string }>('format.js')

function frame (name: string, line = 1): Frame {
  const fn = `${name}\u0000/app/${name}.js\u00001`
  return { key: `${fn}\u0000${line}`, fn, name, file: `/app/${name}.js`, line: 1 }
}

const main = frame('main')
const handler = frame('handler')
const leak = frame('leak')
const cache = frame('cache')

function heap (samples: Array<[Frame[], number]>): Model {
  return {
    sampleTypes: [{ type: 'inuse_objects', unit: 'count' }, { type: 'inuse_space', unit: 'bytes' }],
    defaultIndex: 1,
    // stacks leaf first, like pprof
    samples: samples.map(([stack, bytes]) => ({ stack, values: [bytes / 100, bytes] })),
    timeNanos: 0,
    durationNanos: 0
  }
}

describe('the page\'s -top rows', () => {
  it('gives flat to the leaf and cum once per sample, largest flat first', () => {
    const model = heap([[[leak, handler, main], 300], [[cache, handler, main], 100], [[handler, main], 50], [[leak, leak, main], 10]])
    const rows = analysis.topRows(model, 1)
    expect(rows.map((r) => [r.name, r.flat, r.cum])).toEqual([
      ['leak', 310, 310],
      ['cache', 100, 100],
      ['handler', 50, 450],
      ['main', 0, 460]
    ])
    expect(analysis.percentBase(model, 1)).toBe(460)
  })
})

describe('the page\'s baseline diff', () => {
  it('subtracts stack by stack: growth positive, shrinkage negative, percentages of the baseline', () => {
    const before = heap([[[leak, handler, main], 100], [[cache, handler, main], 400]])
    const after = heap([[[leak, handler, main], 900], [[cache, handler, main], 100], [[frame('fresh'), main], 50]])
    const diff = analysis.diffProfiles(before, after)
    const rows = analysis.topRows(diff, 1)
    expect(rows.map((r) => [r.name, r.flat])).toEqual([['leak', 800], ['fresh', 50], ['main', 0], ['handler', 0], ['cache', -300]])
    expect(analysis.percentBase(diff, 1)).toBe(500)
    expect(rows.find((r) => r.name === 'main')?.cum).toBe(550)
  })

  it('matches frames by function, file and line, and leaves out what did not change', () => {
    const before = heap([[[leak, main], 100], [[frame('leak', 2), main], 100]])
    const after = heap([[[leak, main], 100], [[frame('leak', 2), main], 300]])
    const diff = analysis.diffProfiles(before, after)
    expect(diff.samples).toHaveLength(1)
    expect(diff.samples[0]?.values).toEqual([2, 200])
  })

  it('draws what grew and, with sign -1, what shrank; widths are never negative', () => {
    const diff = analysis.diffProfiles(heap([[[cache, main], 400]]), heap([[[leak, main], 900], [[cache, main], 100]]))
    const grew = analysis.flameTree(diff, 1)
    expect(grew.value).toBe(900)
    expect(grew.children.map((c) => [c.name, c.value, c.children[0]?.name])).toEqual([['main', 900, 'leak']])
    const shrank = analysis.flameTree(diff, 1, -1)
    expect(shrank.value).toBe(300)
    expect(shrank.children[0]?.children[0]).toMatchObject({ name: 'cache', value: 300 })
  })
})

describe('the page\'s words', () => {
  it('says what each server answer means', () => {
    const { HttpError, describeError } = api
    expect(describeError(new HttpError(409, 'Could not enable profiling: cpu profiling already in use', '12')))
      .toBe('Busy (409): another profile is running in this process; only one runs at a time. The server said: “Could not enable profiling: cpu profiling already in use”. Try again in about 12 s.')
    expect(describeError(new HttpError(401, 'Unauthorized', null))).toMatch(/^Not authorized \(401\).*Reload the page/)
    expect(describeError(new HttpError(400, 'invalid value for "seconds" - must be at most 300', null)))
      .toBe('The server refused the request (400 Bad Request). The server said: “invalid value for "seconds" - must be at most 300”.')
    expect(describeError(new DOMException('aborted', 'AbortError'))).toMatch(/^Cancelled/)
    expect(describeError(new TypeError('Failed to fetch'))).toMatch(/could not be reached/)
  })

  it('builds route URLs one level above its own module, whatever the page URL', () => {
    // Served at {prefix}/ui/api.js; here public/api.js, so the routes are at the package root.
    expect(api.routeUrl('heap', { gc: 1 }).href).toBe(new URL('../heap?gc=1', import.meta.url).href)
  })

  it('formats like pprof', () => {
    expect(format.formatBytes(42.83 * 1024 * 1024)).toBe('42.83MB')
    expect(format.formatBytes(50 * 1024 * 1024)).toBe('50MB')
    expect(format.formatBytes(-65 * 1024)).toBe('-65kB')
    expect(format.formatValue(1.78e9, 'nanoseconds')).toBe('1.78s')
    expect(format.formatValue(30e6, 'nanoseconds')).toBe('30ms')
  })
})

const growth = await load<{ verdictText: (r: object) => string, holderName: (h: object) => string }>('growth.js')

describe('the Growth panel\'s words for holders', () => {
  const holder = { path: 'module lib/memo.js › pending', file: 'lib/memo.js', kind: 'Map', entries: 900, growth: 800, entriesPerHour: 1000, sample: { keys: ['IncomingMessage'], values: ['Object'] } }
  const report = { verdict: 'growing', window: { seconds: 120 }, postGcCaptures: 3, captures: 4, intervalMs: 1000, suspects: [], holders: [holder], heap: { postGcSlopeBytesPerHour: 0 } }

  it('a verdict with a holder and no suspect names the holder', () => {
    expect(growth.verdictText(report)).toBe('Growing: the Map module lib/memo.js › pending keeps growing: 900 entries, 800 added over the census\'s window.')
    expect(growth.holderName({ ...holder, kind: 'listeners', path: 'app › bus › listeners \'config\'' })).toBe('the listener list app › bus › listeners \'config\'')
  })
})

interface StallView { at: number, durationMs: number, top: Array<{ function: string, file: string, line: number }>, route: string | null, gcMs: number, profile: string | null, reason: string | null }
const stalls = await load<{
  stallsText: (body: { thresholdMs: number, total: number, watchdogError: string | null, stalls: StallView[] }) => string
  stallSummary: (stall: StallView) => Record<string, string>
  stallHeading: (stall: StallView) => { title: string, meta: string, filename: string }
}>('stall-text.js')

describe('the Event-loop stalls panel\'s words', () => {
  const profiled: StallView = {
    at: new Date(2026, 11, 7, 14, 5, 9).getTime(),
    durationMs: 812,
    top: [{ function: 'blockTheLoop', file: '/srv/app/src/routes/report.js', line: 17 }],
    route: '/report/:id',
    gcMs: 12.4,
    profile: '/debug/stalls/3',
    reason: null
  }

  it('says there is none yet, how many there are, how many are kept, and when the watchdog failed', () => {
    expect(stalls.stallsText({ thresholdMs: 200, total: 0, watchdogError: null, stalls: [] })).toBe('No stalls yet: the event loop has not been blocked for 200 ms or more.')
    expect(stalls.stallsText({ thresholdMs: 200, total: 1, watchdogError: null, stalls: [profiled] })).toBe('1 stall of 200 ms or more. Pick one to see where the loop was stuck.')
    expect(stalls.stallsText({ thresholdMs: 250, total: 25, watchdogError: null, stalls: Array(20).fill(profiled) })).toBe('25 stalls of 250 ms or more, the newest 20 kept. Pick one to see where the loop was stuck.')
    expect(stalls.stallsText({ thresholdMs: 200, total: 0, watchdogError: 'boom', stalls: [] })).toMatch(/^No stalls yet: .* The watchdog thread failed \(boom\): stalls are measured, without profiles\.$/)
  })

  it('summarizes a stall: time, duration, route, GC, top function and where, with nothing to explain', () => {
    expect(stalls.stallSummary(profiled)).toEqual({ time: '14:05:09', duration: '812ms', route: '/report/:id', gc: '12ms', top: 'blockTheLoop', where: '…/routes/report.js:17', note: '' })
    expect(stalls.stallHeading(profiled)).toMatchObject({ title: 'Stall at 14:05:09: the loop was blocked 812ms', filename: 'stall-2026-12-07T14-05-09.pb.gz' })
    expect(stalls.stallHeading(profiled).meta).toMatch(/^Route \/report\/:id · GC 12ms inside it · /)
  })

  it('says why a stall has no profile: busy, still coming; and names a stall with no route or frames', () => {
    const busy = { ...profiled, profile: null, reason: 'the CPU profiler was busy (a /profile, or another registration\'s stall watch)' }
    expect(stalls.stallSummary(busy).note).toBe('No profile: the CPU profiler was busy (a /profile, or another registration\'s stall watch)')
    expect(stalls.stallSummary({ ...profiled, profile: null, reason: 'profile pending' }).note).toBe('Profile coming…')
    const bare = stalls.stallSummary({ ...profiled, route: null, top: [], gcMs: 0, profile: null, reason: null })
    expect(bare).toMatchObject({ route: '(no route)', top: '–', where: '', gc: '0', note: 'No profile: unknown' })
    expect(stalls.stallSummary({ ...profiled, top: [{ function: '', file: '', line: 0 }] })).toMatchObject({ top: '(anonymous)', where: '' })
  })
})
