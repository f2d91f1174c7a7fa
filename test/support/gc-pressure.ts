import { untilAsync } from './wait.js'

/**
 * Polls `check` while allocating as a busy server does, until it holds (or throws after `timeoutMs`): the leak
 * watch takes captures right after natural major GCs, and an idle test process may see none for minutes
 * (V8 12+ lets the old generation grow far between them). 8 MB arrays that live a fifth of a second: younger
 * ones die in the young generation and never bring a major GC. Never gc() nor ?gc=1: those are forced.
 */
export async function untilBusy (check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const held: unknown[] = new Array(8).fill(null)
  let i = 0
  await untilAsync(async () => {
    if (await check()) return true
    held[i++ % held.length] = new Array(1_000_000).fill(0)
    return false
  }, timeoutMs, 25)
}
