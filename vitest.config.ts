import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Profilers are process-wide (one V8 CPU profiler, one sampling heap profiler):
    // test files run in separate forked processes, one at a time, so that no two
    // files fight over them and timing-sensitive abort tests are not starved of CPU.
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default']
  }
})
