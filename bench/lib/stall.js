// Event-loop stall measurement for one async (or sync) operation.
//
// Two independent meters run while the operation executes:
// - monitorEventLoopDelay({ resolution: 1 }): the histogram's max (each recorded
//   value is the whole interval between two 1 ms timer wake-ups, so max ≈ stall + ~1 ms).
//   Gotcha (baseline.md): h.reset() zeroes the histogram's previous timestamp, so a
//   block that starts right after reset() is not recorded at all. We wait 5 ms after
//   reset() before starting the operation.
// - a 1 ms setInterval watchdog recording the largest gap between two of its ticks.
// After the operation settles we wait a few ms more so that both meters observe
// the end of the last block. GC pauses inside the window are collected as well.
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'

const histogram = monitorEventLoopDelay({ resolution: 1 })
histogram.enable()

const gcEntries = []
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcEntries.push({ start: e.startTime, duration: e.duration, kind: e.detail?.kind })
})
gcObserver.observe({ entryTypes: ['gc'] })

/**
 * Runs `op` once and returns { totalMs, eldMaxMs, watchdogMaxMs, secondGapMs, gaps5ms, gcMs, gcMaxMs, value }
 * (gaps5ms: how many watchdog gaps of 5 ms or more).
 * `value` is whatever `op` resolved to.
 */
export async function measureStall (op) {
  let last = performance.now()
  let maxGap = 0
  let gaps = []
  const watchdog = setInterval(() => {
    const now = performance.now()
    const gap = now - last
    if (gap > maxGap) maxGap = gap
    if (gap >= 5 && gaps.length < 1000) gaps.push({ at: last, ms: gap })
    last = now
  }, 1)
  await sleep(5)
  histogram.reset()
  await sleep(5) // the reset gotcha: let the histogram take a fresh timestamp first
  gcEntries.length = 0
  maxGap = 0
  gaps = []
  last = performance.now()
  const t0 = performance.now()
  const value = await op()
  const t1 = performance.now()
  await sleep(5) // let both meters record the gap that ends with the operation
  clearInterval(watchdog)
  const eldMaxMs = histogram.max / 1e6
  await sleep(1) // gc entries are delivered asynchronously
  let gcMs = 0
  let gcMaxMs = 0
  for (const e of gcEntries) {
    if (e.start + e.duration < t0 || e.start > t1) continue
    gcMs += e.duration
    if (e.duration > gcMaxMs) gcMaxMs = e.duration
  }
  const sorted = gaps.map((g) => g.ms).sort((a, b) => b - a)
  // Timeline (ms from the operation's start) of the 5 largest blocks and of GC pauses ≥ 1 ms, for diagnosis.
  const timeline = {
    blocks: gaps.sort((a, b) => b.ms - a.ms).slice(0, 5).map((g) => ({ at: +(g.at - t0).toFixed(1), ms: +g.ms.toFixed(1) })),
    gc: gcEntries.filter((e) => e.duration >= 1 && e.start + e.duration >= t0 && e.start <= t1)
      .map((e) => ({ at: +(e.start - t0).toFixed(1), ms: +e.duration.toFixed(1), kind: e.kind })),
  }
  // secondGapMs: the largest block other than the largest one (e.g. besides V8's native step).
  return { totalMs: t1 - t0, eldMaxMs, watchdogMaxMs: maxGap, secondGapMs: sorted[1] ?? 0, gaps5ms: sorted.length, gcMs, gcMaxMs, timeline, value }
}

export function stopStallMeters () {
  histogram.disable()
  gcObserver.disconnect()
}
