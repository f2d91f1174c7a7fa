// Entry point of the page at {prefix}/: reads the server's settings and
// starts the live parts. The routes table is plain HTML from the server.
import { startGrowth } from './growth.js'
import { startOverview } from './overview.js'
import { startProfiles } from './profiles.js'
import { startStalls } from './stalls.js'

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

const profiles = startProfiles({
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

startGrowth({
  root: document.getElementById('growth'),
  pollMs: Math.min(10_000, Math.max(1000, config.leakWatchIntervalMs ?? 10_000)),
  onSince: (capture) => profiles.growthSince(capture),
  onOldest: (capture) => profiles.setRingBaseline(capture)
})

startStalls({
  root: document.getElementById('stalls'),
  pollMs: 3000,
  thresholdMs: config.stallThresholdMs
})
