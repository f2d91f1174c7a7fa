// A small keep-alive HTTP/1.1 load generator (closed loop, no pipelining), run as a
// child process of the throughput suite. Each connection sends one GET, waits for
// the whole response (Content-Length framing), then sends the next.
//
// It speaks HTTP over raw node:net sockets rather than through an http.Agent: a
// keep-alive Agent client measured ~100 µs CPU per request here and topped out at
// 6–7k req/s (the client would be the bottleneck); this costs ~30 µs against the
// server's ~55. Control over IPC:
//   { cmd: 'run', port, path, conns, durationMs } → { requests, errors, seconds, rps, p50Ms, p99Ms, cpuMs }
import net from 'node:net'
import { execFileSync } from 'node:child_process'
import { createHistogram, performance } from 'node:perf_hooks'

const cpu = process.argv[2]
if (cpu !== undefined) execFileSync('taskset', ['-a', '-p', '-c', cpu, String(process.pid)], { stdio: 'ignore' })

const CRLF2 = Buffer.from('\r\n\r\n')

function contentLength (head) {
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head)
  return m ? Number(m[1]) : -1
}

function run ({ port, path, conns, durationMs, host = '127.0.0.1' }) {
  return new Promise((resolve) => {
    const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`)
    const latency = createHistogram()
    let requests = 0
    let errors = 0
    let open = conns
    let running = true
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    let tEnd = 0

    const finish = () => {
      const c = process.cpuUsage(cpu0)
      const seconds = (tEnd - t0) / 1000
      resolve({
        requests,
        errors,
        seconds,
        rps: requests / seconds,
        p50Ms: latency.count ? latency.percentile(50) / 1000 : NaN,
        p99Ms: latency.count ? latency.percentile(99) / 1000 : NaN,
        cpuMs: (c.user + c.system) / 1000,
      })
    }

    for (let i = 0; i < conns; i++) {
      const socket = net.connect({ port, host, noDelay: true })
      let buf = null
      let sentAt = 0
      const send = () => {
        sentAt = performance.now()
        socket.write(request)
      }
      const done = () => {
        if (--open === 0) finish()
      }
      socket.on('connect', send)
      socket.on('data', (chunk) => {
        buf = buf ? Buffer.concat([buf, chunk]) : chunk
        for (;;) {
          const headEnd = buf.indexOf(CRLF2)
          if (headEnd < 0) return
          const head = buf.toString('latin1', 0, headEnd)
          const len = contentLength(head)
          if (len < 0) { // chunked or unframed: not supported, count as an error and drop the connection
            errors++
            socket.destroy()
            return
          }
          const end = headEnd + 4 + len
          if (buf.length < end) return
          if (!running) { // completed after the window closed: not counted
            socket.end()
            return
          }
          if (head.startsWith('HTTP/1.1 2')) {
            requests++
            latency.record(Math.max(1, Math.round((performance.now() - sentAt) * 1000)))
          } else {
            errors++
          }
          send()
          if (buf.length === end) {
            buf = null
            return
          }
          buf = buf.subarray(end)
        }
      })
      socket.on('error', () => { errors++ })
      socket.on('close', done)
    }

    setTimeout(() => {
      running = false
      tEnd = performance.now()
    }, durationMs)
  })
}

process.on('message', async (m) => {
  if (m.cmd === 'run') process.send(await run(m))
  else if (m.cmd === 'close') process.exit(0)
})
process.send({ ready: true })
