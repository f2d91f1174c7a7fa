// The leak watch fixture app (test/fixtures/leaks/app.mjs) as a child process, polled over HTTP.
import { fileURLToPath } from 'node:url'
import { type ListeningChild, startListening } from './child.js'

const APP = fileURLToPath(new URL('../fixtures/leaks/app.mjs', import.meta.url))
const REPO = fileURLToPath(new URL('../..', import.meta.url))

export type LeakApp = ListeningChild

/** Starts the app with one pattern and waits until it listens. */
export async function startLeakApp (pattern: string, env: NodeJS.ProcessEnv = {}, args: string[] = [], nodeArgs: string[] = []): Promise<LeakApp> {
  return await startListening([...nodeArgs, APP, pattern, ...args], { cwd: REPO, env: { ...process.env, ...env } })
}
