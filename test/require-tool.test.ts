import { describe, expect, it } from 'vitest'
import { requireTool, underCi } from './support/require-tool.js'

describe('the CI gate for external tools', () => {
  it.each(['true', 'TRUE', '1', 'yes', 'github-actions'])('CI=%s counts as CI', (value) => {
    expect(underCi({ CI: value })).toBe(true)
  })

  it.each(['', 'false', 'FALSE', '0', ' 0 '])('CI=%j does not', (value) => {
    expect(underCi({ CI: value })).toBe(false)
  })

  it('no CI variable at all does not', () => {
    expect(underCi({})).toBe(false)
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
