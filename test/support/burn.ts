/** A CPU hog that yields often, so the server under test keeps answering. */
export function burnCpuForProfileTest (ms: number): number {
  const end = performance.now() + ms
  let x = 0
  while (performance.now() < end) {
    for (let i = 0; i < 10_000; i++) x = (x * 31 + i) % 1_000_003
  }
  return x
}

/** Runs the hog in 20 ms slices until stop() is called. */
export function startBurning (): { stop: () => void } {
  let running = true
  const loop = (): void => {
    if (!running) return
    burnCpuForProfileTest(20)
    setImmediate(loop)
  }
  setImmediate(loop)
  return { stop: () => { running = false } }
}
