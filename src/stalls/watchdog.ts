import type { Profiler } from 'node:inspector'
import { Worker } from 'node:worker_threads'

/**
 * The memory the main thread and the watchdog share: the heartbeat
 * (process.hrtime.bigint() of the last beat: one monotonic clock for both
 * threads), the beat's sequence number (which stall a report is about) and
 * the id of the route being served.
 */
export interface Beat {
  readonly buffer: SharedArrayBuffer
  readonly time: BigInt64Array
  readonly ints: Int32Array
}
export const SEQ = 0
export const ROUTE = 1

export function createBeat (): Beat {
  const buffer = new SharedArrayBuffer(16)
  return { buffer, time: new BigInt64Array(buffer, 0, 1), ints: new Int32Array(buffer, 8, 2) }
}

/** What the watchdog sends after each stall it saw. */
export interface StallReport {
  /** The sequence number of the last beat before the stall. */
  readonly seq: number
  /** The route id the main thread had written while it was stuck (0: none). */
  readonly route: number
  /**
   * The profile as JSON text (UTF-8), without samples and timeDeltas (the pprof conversion uses the per-node
   * counts). Bytes, moved rather than copied: a structured-clone object would be rebuilt on the main thread's
   * heap by the message port, with no JavaScript on the stack, and the heap profiler would charge the kept
   * stalls to "(V8 API)", a site the leak watch cannot tell from the app's (20 kept profiles, about a megabyte,
   * named a leak-free app's growth while the ring filled). An ArrayBuffer's contents are off the heap.
   */
  readonly profile: Uint8Array | null
  /** Why there is no profile. */
  readonly reason: string | null
}

export interface WatchdogData {
  readonly beat: SharedArrayBuffer
  readonly claim: SharedArrayBuffer
  readonly thresholdMs: number
  readonly intervalMicros: number
  /** The longest a stall is profiled. */
  readonly maxProfileMs: number
  readonly free: number
  readonly mine: number
}

/**
 * The worker's code. It runs from its own source text (eval), so it imports
 * nothing and closes over nothing: there is no file to find beside this
 * module, whether it runs built or from the sources. Between stalls it sleeps
 * until the heartbeat would be thresholdMs old (about 7 wakes a second at
 * 200 ms), so its idle cost is a few timer wakes.
 */
function watchdog (require: NodeJS.Require): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads')
  const { Session } = require('node:inspector') as typeof import('node:inspector')
  const data = workerData as WatchdogData
  const time = new BigInt64Array(data.beat, 0, 1)
  const ints = new Int32Array(data.beat, 8, 2)
  const claim = new Int32Array(data.claim)
  const port = parentPort as import('node:worker_threads').MessagePort
  const session = new Session()
  session.connectToMainThread()
  let closed = false
  let timer: NodeJS.Timeout | undefined
  const post = async <T>(method: string, params: object = {}): Promise<T> => await new Promise((resolve, reject) => {
    session.post(method, params, (err, res) => { if (err === null) resolve(res as T); else reject(err) })
  })
  // Unref'd: the port's listener is what keeps this thread alive, until stop closes it.
  const later = (fn: () => void, ms: number): void => {
    timer = setTimeout(fn, ms)
    timer.unref()
  }
  const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => later(resolve, ms))
  // Answered by the main thread's loop while it still turns (registration), before any stall.
  const ready = post('Profiler.enable').then(async () => await post('Profiler.setSamplingInterval', { interval: data.intervalMicros }))
  ready.catch(() => {})
  const ageMs = (): number => Number(process.hrtime.bigint() - Atomics.load(time, 0)) / 1e6

  const watch = (): void => {
    if (closed) return
    const age = ageMs()
    if (age < data.thresholdMs) {
      later(watch, Math.max(1, Math.ceil(data.thresholdMs - age)))
      return
    }
    catchStall().then(() => later(watch, 1), () => later(watch, 1))
  }

  const turned = async (seq: number): Promise<void> => {
    // The stall's own length is unknown: poll, briefly, only while one lasts (stop sets closed meanwhile).
    // A loop stuck for good (an endless loop) gets its first maxProfileMs profiled, not a profile that grows forever.
    const until = Date.now() + data.maxProfileMs
    for (;;) {
      if (closed || Atomics.load(ints, 0) !== seq || Date.now() > until) return
      await sleep(2)
    }
  }

  const catchStall = async (): Promise<void> => {
    const seq = Atomics.load(ints, 0)
    const route = Atomics.load(ints, 1)
    let profile: Uint8Array | null = null
    let reason: string | null = null
    if (Atomics.compareExchange(claim, 0, data.free, data.mine) !== data.free) {
      reason = 'the CPU profiler was busy (a /profile, or another registration\'s stall watch)'
      await turned(seq)
    } else {
      try {
        await ready
        // Dispatched on the main thread by an interrupt, inside the code that blocks it.
        await post('Profiler.start')
        await turned(seq)
        const stopped = (await post<Profiler.StopReturnType>('Profiler.stop')).profile
        // Per-sample arrays: not needed for pprof (node counts are), and the larger part of the message.
        delete (stopped as { samples?: unknown }).samples
        delete (stopped as { timeDeltas?: unknown }).timeDeltas
        profile = new TextEncoder().encode(JSON.stringify(stopped))
      } catch (err) {
        reason = `profiler failed: ${(err as Error).message}`
      } finally {
        Atomics.compareExchange(claim, 0, data.mine, data.free)
      }
    }
    if (!closed) port.postMessage({ seq, route, profile, reason } satisfies StallReport, profile === null ? [] : [profile.buffer as ArrayBuffer])
  }

  port.on('message', (message: unknown) => {
    if (message !== 'stop') return
    closed = true
    if (timer !== undefined) clearTimeout(timer)
    // Disconnecting ends a profile still running and frees the claim; a session
    // left connected makes Node print "Waiting for the debugger to disconnect..." at exit.
    session.disconnect()
    Atomics.compareExchange(claim, 0, data.mine, data.free)
    port.close()
  })
  later(watch, 1)
}

/** Starts the watchdog thread; unref'd, so it never keeps the app's process alive. */
export function startWatchdog (data: WatchdogData, onReport: (report: StallReport) => void, onError: (err: Error) => void): Worker {
  const worker = new Worker(`(${watchdog.toString()})(require)`, {
    eval: true,
    workerData: data,
    // Its own heap is small: a profile of a few hundred nodes at a time.
    resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
    stdout: false,
    stderr: false
  })
  worker.unref()
  worker.on('message', onReport)
  worker.on('error', onError)
  return worker
}

/** Asks the watchdog to disconnect and end; terminates it if it has not within a second. */
export async function stopWatchdog (worker: Worker): Promise<void> {
  // Node sets threadId to -1 once the thread has exited (an error, say): no 'exit' will come.
  if (worker.threadId === -1) return
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  worker.postMessage('stop')
  const timer = setTimeout(() => { worker.terminate().catch(() => {}) }, 1000)
  try {
    await exited
  } finally {
    clearTimeout(timer)
  }
}
