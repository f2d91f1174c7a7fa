import { afterEach, describe, expect, it } from 'vitest'
import { LoopDelay } from '../src/stats/loop-delay.js'
import { sleep } from './support/wait.js'

// Every block of the event loop must land in exactly one interval, wherever
// it falls relative to the interval's edges (monitorEventLoopDelay with a
// reset per interval lost blocks at the edges).
const block = (ms: number): void => { const end = performance.now() + ms; while (performance.now() < end); }

let delay: LoopDelay | undefined
afterEach(() => { delay?.stop() })

describe('event-loop delay per interval', () => {
  it('counts a block that ends right before the interval is taken', async () => {
    delay = new LoopDelay(10)
    await sleep(30)
    block(300)
    const figures = delay.take() // no timer has run since the block
    expect(figures.maxMs).toBeGreaterThan(250)
    // ...and only there: the next interval does not count it again.
    await sleep(50)
    expect(delay.take().maxMs).toBeLessThan(250)
  })

  it('counts a block that starts right after the interval is taken', async () => {
    delay = new LoopDelay(10)
    await sleep(30)
    delay.take()
    block(300)
    await sleep(30) // the timer runs and records the gap
    expect(delay.take().maxMs).toBeGreaterThan(250)
  })

  it('orders its figures and reads zero when nothing was recorded', async () => {
    delay = new LoopDelay(10)
    expect(delay.take()).toEqual({ minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0, stddevMs: 0 })
    await sleep(100)
    const f = delay.take()
    const order = [f.minMs, f.p50Ms, f.p90Ms, f.p99Ms, f.maxMs]
    for (let i = 1; i < order.length; i++) expect(order[i]).toBeGreaterThanOrEqual(order[i - 1] as number)
    expect(f.meanMs).toBeGreaterThanOrEqual(f.minMs)
    expect(f.meanMs).toBeLessThanOrEqual(f.maxMs)
  })
})
