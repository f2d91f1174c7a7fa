// The leak watch fixture app (test/fixtures/leaks/app.mjs) as a child process, polled over HTTP.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { stopChild } from './child.js'

const APP = fileURLToPath(new URL('../fixtures/leaks/app.mjs', import.meta.url))
const REPO = fileURLToPath(new URL('../..', import.meta.url))

export interface LeakApp {
  readonly url: string
  readonly process: ChildProcess
  output (): string
  stop (): Promise<void>
}

/** Starts the app with one pattern and waits until it listens. */
export async function startLeakApp (pattern: string, env: NodeJS.ProcessEnv = {}, args: string[] = [], nodeArgs: string[] = []): Promise<LeakApp> {
  const child = spawn(process.execPath, [...nodeArgs, APP, pattern, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const deadline = Date.now() + 30_000
  let port: string | undefined
  while ((port = /\{"port":(\d+)\}/.exec(out)?.[1]) === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`leak app exited: ${out}`)
    if (Date.now() > deadline) {
      await stopChild(child)
      throw new Error(`leak app did not start: ${out}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { url: `http://127.0.0.1:${port}`, process: child, output: () => out, stop: async () => await stopChild(child) }
}
