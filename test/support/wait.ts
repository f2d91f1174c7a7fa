export const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` until it holds; returns the ms it took, or throws after `timeoutMs`. */
export async function until (check: () => boolean, timeoutMs = 10_000): Promise<number> {
  const start = performance.now()
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error('condition not met in time')
    await sleep(5)
  }
  return performance.now() - start
}

/** until() for a condition that needs a request to check, e.g. a count read from /stats; `pollMs` between checks. */
export async function untilAsync (check: () => Promise<boolean>, timeoutMs = 10_000, pollMs = 5): Promise<number> {
  const start = performance.now()
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) throw new Error('condition not met in time')
    await sleep(pollMs)
  }
  return performance.now() - start
}
