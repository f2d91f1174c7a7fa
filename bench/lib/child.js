// Runs a bench script in a child process and resolves with the one message it sends.
import { fork } from 'node:child_process'

export function runChild (script, args, { execArgv = [], timeoutMs = 10 * 60e3 } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(script, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let result
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} ${args.join(' ')} timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('message', (m) => { result = m })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (result !== undefined) resolve(result)
      else reject(new Error(`${script} ${args.join(' ')} exited with ${signal ?? code} and no result`))
    })
  })
}

/**
 * Forks a long-lived bench process that answers IPC messages in order. `ready` resolves with its first
 * message; `ask(msg)` sends one and resolves with the next reply; a reply pending when it exits is rejected.
 */
export function forkServer (script, args) {
  const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const queue = []
  child.on('message', (m) => queue.shift()?.resolve(m))
  child.on('exit', (code, signal) => {
    for (const q of queue.splice(0)) q.reject(new Error(`${script} exited with ${signal ?? code}`))
  })
  const next = () => new Promise((resolve, reject) => queue.push({ resolve, reject }))
  const ready = next()
  return {
    child,
    ready,
    ask (msg) {
      const reply = next()
      child.send(msg)
      return reply
    },
  }
}
