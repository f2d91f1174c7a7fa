// Opens and closes websocket connections so that the number open at once
// stays flat, the shape of traffic in the story: connections steady, memory
// climbing (when the server leaks).
//   node demo/load.js --url ws://127.0.0.1:3000/chat [--concurrency 50] [--seconds 60]
import { parseArgs } from 'node:util'
import WebSocket from 'ws'

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'ws://127.0.0.1:3000/chat' },
    concurrency: { type: 'string', default: '50' },
    messages: { type: 'string', default: '5' },
    seconds: { type: 'string' },
    quiet: { type: 'boolean', default: false }
  }
})
const concurrency = Number(values.concurrency)
const messages = Number(values.messages)
const until = values.seconds === undefined ? Infinity : Date.now() + Number(values.seconds) * 1000

let opened = 0
let open = 0
let stopping = false

function connect (slot) {
  if (stopping || Date.now() >= until) return
  const ws = new WebSocket(`${values.url}?user=user-${slot}-${opened}`)
  opened++
  let sent = 0
  ws.on('open', () => {
    open++
    const next = () => {
      if (sent >= messages || ws.readyState !== WebSocket.OPEN) return ws.close()
      ws.send(JSON.stringify({ n: sent++, text: 'hello '.repeat(8) }))
      setTimeout(next, 20)
    }
    next()
  })
  ws.on('close', () => {
    if (open > 0) open--
    setImmediate(() => connect(slot))
  })
  ws.on('error', () => {})
}

for (let slot = 0; slot < concurrency; slot++) connect(slot)

const report = setInterval(() => {
  if (!values.quiet) console.log(`load: ${open} open, ${opened} opened so far`)
  if (Date.now() >= until) {
    clearInterval(report)
    stopping = true
    console.log(`load: done, ${opened} connections opened`)
    setTimeout(() => process.exit(0), 500).unref()
  }
}, 5000)
process.once('SIGTERM', () => process.exit(0))
