import { spawnSync } from 'node:child_process'

const seen = new Map<string, boolean>()

/**
 * Whether the tests run under CI: any CI value but an empty one, "false" or "0" (CI=1, CI=TRUE and
 * CI=true all count), as CI services set it.
 */
export function underCi (env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI
  return value !== undefined && !['', 'false', '0'].includes(value.trim().toLowerCase())
}

/**
 * Gate for suites that need a real external tool: `describe.skipIf(!requireTool('x', 'apt-get install x'))`.
 * Missing under CI: throws, so the test file fails. Missing locally: warns loudly and returns false.
 */
export function requireTool (command: string, install: string, versionArgs = ['--version']): boolean {
  let found = seen.get(command)
  if (found === undefined) {
    found = spawnSync(command, versionArgs, { stdio: 'ignore', timeout: 30_000 }).status === 0
    seen.set(command, found)
  }
  if (found) return true
  if (underCi()) throw new Error(`${command} is required under CI but is not on PATH (${install})`)
  const message = `SKIPPED: ${command} not installed (${install})`
  const bar = '='.repeat(message.length)
  console.warn(`\n${bar}\n${message}\n${bar}\n`)
  return false
}
