import { spawnSync } from 'node:child_process'

const seen = new Map<string, boolean>()

/**
 * Gate for suites that need a real external tool: `describe.skipIf(!requireTool('x', 'apt-get install x'))`.
 * Missing under CI (CI=true): throws, so the test file fails. Missing locally: warns loudly and returns false.
 */
export function requireTool (command: string, install: string, versionArgs = ['--version']): boolean {
  let found = seen.get(command)
  if (found === undefined) {
    found = spawnSync(command, versionArgs, { stdio: 'ignore', timeout: 30_000 }).status === 0
    seen.set(command, found)
  }
  if (found) return true
  if (process.env.CI === 'true') throw new Error(`${command} is required under CI but is not on PATH (${install})`)
  const message = `SKIPPED: ${command} not installed (${install})`
  const bar = '='.repeat(message.length)
  console.warn(`\n${bar}\n${message}\n${bar}\n`)
  return false
}
