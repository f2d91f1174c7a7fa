import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'

/** Ends a child process: SIGTERM, then SIGKILL after 5 s, and waits for its exit. */
export async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

export interface ListeningChild {
  readonly url: string
  readonly process: ChildProcess
  /** stdout and stderr so far. */
  output (): string
  stop (): Promise<void>
}

/**
 * Starts `node ...args` and waits until it prints `{"port": N}` (the fixture apps do once they listen); a
 * child that exits first, or takes longer than 30 s, is an error with its output.
 */
export async function startListening (args: string[], options: { cwd: string, env: NodeJS.ProcessEnv }): Promise<ListeningChild> {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const deadline = Date.now() + 30_000
  let port: string | undefined
  while ((port = /\{"port":(\d+)\}/.exec(out)?.[1]) === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${args.join(' ')} exited: ${out}`)
    if (Date.now() > deadline) {
      await stopChild(child)
      throw new Error(`${args.join(' ')} did not start: ${out}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { url: `http://127.0.0.1:${port}`, process: child, output: () => out, stop: async () => await stopChild(child) }
}
