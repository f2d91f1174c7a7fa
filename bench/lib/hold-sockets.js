// Child process: opens N loopback sockets to a port, 200 at a time, and holds them
// until killed. Tells its parent { open } when all are connected.
import { connect } from 'node:net'

const [port, count] = process.argv.slice(2).map(Number)
const sockets = []
async function openOne () {
  await new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', resolve)
    s.on('error', reject)
    sockets.push(s)
  })
}
try {
  for (let i = 0; i < count; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, count - i) }, openOne))
  }
  process.send({ open: sockets.length })
} catch (err) {
  process.send({ error: err.message })
}
setInterval(() => {}, 1 << 30)
