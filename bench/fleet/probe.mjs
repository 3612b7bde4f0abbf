/**
 * Loaded into a backend process by the fleet bench (`NODE_OPTIONS=--import …/probe.mjs`): it measures the
 * event loop's delay and, on SIGUSR2, prints one `probe {…}` line with the delay since the last report and since
 * start (ms), and the process's memory. Plain JavaScript, since it loads before tsx does.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'

const window = monitorEventLoopDelay({ resolution: 5 })
const total = monitorEventLoopDelay({ resolution: 5 })
window.enable()
total.enable()

const ms = (nanoseconds) => Math.round(nanoseconds / 10_000) / 100
const summary = (histogram) => ({
  p50: ms(histogram.percentile(50)),
  p99: ms(histogram.percentile(99)),
  max: ms(histogram.max),
})

process.on('SIGUSR2', () => {
  const memory = process.memoryUsage()
  const line = { window: summary(window), total: summary(total), rss: memory.rss, heapUsed: memory.heapUsed }
  window.reset()
  process.stdout.write(`probe ${JSON.stringify(line)}\n`)
  if (profileDir) toggleProfile()
})

// With TUOTOU_PROBE_PROFILE=<folder>, each report also starts a CPU profile or ends the one running and writes
// it there (`<pid>-<n>.cpuprofile`, for Chrome's DevTools), so a profile covers exactly what a bench measured.
const profileDir = process.env.TUOTOU_PROBE_PROFILE
let session = null
let profiles = 0
function toggleProfile() {
  if (session === null) {
    session = new Session()
    session.connect()
    session.post('Profiler.enable', () => session.post('Profiler.start'))
    return
  }
  const running = session
  session = null
  running.post('Profiler.stop', (error, result) => {
    if (!error)
      writeFileSync(join(profileDir, `${process.pid}-${++profiles}.cpuprofile`), JSON.stringify(result.profile))
    running.disconnect()
  })
}
