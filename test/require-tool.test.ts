import { describe, expect, it } from 'vitest'
import { requireTool, underCi } from './support/require-tool.js'

describe('the CI gate for external tools', () => {
  it.each(['true', 'TRUE', '1', 'yes', 'github-actions'])('CI=%s counts as CI', (value) => {
    expect(underCi(value)).toBe(true)
  })

  it.each([undefined, '', 'false', 'FALSE', '0', ' 0 '])('CI=%s does not', (value) => {
    expect(underCi(value)).toBe(false)
  })

  it('fails a missing tool under CI, and skips it loudly elsewhere', () => {
    const saved = process.env.CI
    try {
      process.env.CI = '1'
      expect(() => requireTool('fastify-pprof-no-such-tool', 'nothing to install')).toThrow(/required under CI/)
      process.env.CI = 'false'
      expect(requireTool('fastify-pprof-no-such-tool', 'nothing to install')).toBe(false)
    } finally {
      if (saved === undefined) delete process.env.CI
      else process.env.CI = saved
    }
  })
})
