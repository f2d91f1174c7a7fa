// Entry point of the page at {prefix}/: reads the server's settings and
// starts the two live parts. The routes table is plain HTML from the server.
import { startOverview } from './overview.js'
import { startProfiles } from './profiles.js'

const config = JSON.parse(document.getElementById('config').textContent)
const status = document.getElementById('status')

function onStatus (text, isError) {
  status.textContent = text
  status.classList.toggle('error', isError)
}

startOverview({
  root: document.getElementById('overview'),
  numbers: document.getElementById('numbers'),
  windowSelect: document.getElementById('window'),
  intervalMs: config.statsIntervalMs,
  historySeconds: config.historySeconds,
  onStatus
})

startProfiles({
  maxSeconds: config.maxProfileSeconds,
  defaultSeconds: config.defaultProfileSeconds,
  ids: {
    progress: 'progress',
    progressText: 'progress-text',
    progressBar: 'progress-bar',
    cancel: 'cancel',
    message: 'profile-message',
    result: 'result',
    baselineInfo: 'baseline-info'
  }
})
