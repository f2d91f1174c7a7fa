// Opens and closes websocket connections so that the number open at once
// stays flat, the shape of traffic in the story: connections steady, memory
// climbing (when the server leaks). --rate caps how many connections open per
// second (the demo's leak keeps ~50 KB per connection: 8 a second is ~1.5 GB an
// hour, the story's pace; uncapped, the demo leaks that in a minute).
//   node demo/load.js --url ws://127.0.0.1:3000/chat [--concurrency 50] [--rate 8] [--seconds 60]
import { parseArgs } from 'node:util'
import WebSocket from 'ws'

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'ws://127.0.0.1:3000/chat' },
    concurrency: { type: 'string', default: '50' },
    messages: { type: 'string', default: '5' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    quiet: { type: 'boolean', default: false }
  }
})
const concurrency = Number(values.concurrency)
const messages = Number(values.messages)
// Each slot opens its next connection no sooner than concurrency / rate seconds after its last one opened.
const slotPeriodMs = values.rate === undefined ? 0 : (concurrency / Number(values.rate)) * 1000
const until = values.seconds === undefined ? Infinity : Date.now() + Number(values.seconds) * 1000

let opened = 0
let open = 0
let stopping = false

function connect (slot) {
  if (stopping || Date.now() >= until) return
  const ws = new WebSocket(`${values.url}?user=user-${slot}-${opened}`)
  const startedAt = Date.now()
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
    setTimeout(() => connect(slot), Math.max(0, startedAt + slotPeriodMs - Date.now()))
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
