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
