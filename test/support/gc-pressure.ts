import { sleep } from './wait.js'

/**
 * Polls `check` while allocating as a busy server does, until it holds (or throws after `timeoutMs`): the leak
 * watch takes captures right after natural major GCs, and an idle test process may see none for minutes
 * (V8 12+ lets the old generation grow far between them). 8 MB arrays that live a fifth of a second: younger
 * ones die in the young generation and never bring a major GC. Never gc() nor ?gc=1: those are forced.
 */
export async function untilBusy (check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const held: unknown[] = new Array(8).fill(null)
  const start = performance.now()
  for (let i = 0; !(await check()); i++) {
    if (performance.now() - start > timeoutMs) throw new Error('condition not met in time')
    held[i % held.length] = new Array(1_000_000).fill(0)
    await sleep(25)
  }
}
