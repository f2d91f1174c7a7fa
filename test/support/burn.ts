// The CPU hog the CPU-profile tests look for, shared by them.
// A tight arithmetic loop, called many times per slice. Two V8 traps charge its samples to the caller (see
// pitfalls.md), both seen here with the caller `slice` getting every sample: inlining (TurboFan never inlines a
// function of more than 460 bytes of bytecode, so the loop body is long on purpose, about 500 bytes; keep it so),
// and on-stack replacement of a long-running loop (so each call is short and the function is optimized as a whole).
export function burnCpuForProfileTest (iterations: number): number {
  let a = 1
  let b = 2
  let c = 3
  let d = 4
  for (let i = 0; i < iterations; i++) {
    a = (a * 1103515245 + 12345 + i) % 2147483647
    b = (b ^ (a << 3)) + (b >>> 7) + (i & 255)
    c = (c + Math.imul(a, 2654435761)) | 0
    d = (d + (c >>> 11) * 3 + (b & 1023)) % 1000003
    a = (a ^ (d << 5)) % 2147483629
    b = (b + Math.imul(c, 40503) + (a >>> 13)) | 0
    c = (c ^ (b >>> 3)) + (d & 4095)
    d = (d * 31 + (a & 65535)) % 999983
    a = (a + (b >>> 9) + Math.imul(d, 69069)) % 2147483647
    b = (b ^ (c << 7)) | 0
    c = (c + (a >>> 17) * 5 + (i & 1023)) | 0
    d = (d + (b & 2047) + (c >>> 21)) % 1000033
    a = (a + Math.imul(b ^ c, 48271) + (d >>> 2)) % 2147483647
    b = (b + (d ^ (a >>> 11))) | 0
    c = (c ^ Math.imul(d, 16807)) | 0
  }
  return (a ^ b ^ c ^ d) >>> 0
}

/** Burns CPU in 20 ms slices via setImmediate, so the server keeps answering, until the returned stop() is called. */
export function startBurning (): () => void {
  let running = true
  let sink = 0
  const slice = (): void => {
    if (!running) return
    const end = performance.now() + 20
    while (performance.now() < end) sink ^= burnCpuForProfileTest(2_000)
    setImmediate(slice)
  }
  setImmediate(slice)
  return () => {
    running = false
    if (sink === 0.5) console.log(sink) // keep the result observable
  }
}

/** Runs `work` (a CPU profile request, say) while the process burns CPU in burnCpuForProfileTest. */
export async function whileBurning<T> (work: () => Promise<T>): Promise<T> {
  const stop = startBurning()
  try {
    return await work()
  } finally {
    stop()
  }
}
