import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { stopChild } from './child.js'

export interface RunningDemo {
  readonly base: string
  readonly port: number
  readonly process: ChildProcess
  output (): string
  stop (): Promise<void>
}

async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  server.close()
  await once(server, 'close')
  return port
}

/** Starts `node demo/server.js [flags]` as its own process and waits until it listens. */
export async function startDemo (flags: string[] = [], env: Record<string, string> = {}): Promise<RunningDemo> {
  const port = await freePort()
  const child = spawn(process.execPath, ['demo/server.js', ...flags], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const deadline = Date.now() + 30_000
  while (!out.includes('fastify-pprof demo on')) {
    if (child.exitCode !== null) throw new Error(`demo exited: ${out}`)
    if (Date.now() > deadline) throw new Error(`demo did not start: ${out}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    process: child,
    output: () => out,
    stop: async () => await stopChild(child)
  }
}
