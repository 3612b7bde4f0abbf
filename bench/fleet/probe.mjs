/**
 * Loaded into a backend process by the fleet bench (`NODE_OPTIONS=--import …/probe.mjs`): it measures the
 * event loop's delay and, on SIGUSR2, prints one `probe {…}` line with the delay since the last report and since
 * start (ms), and the process's memory. Plain JavaScript, since it loads before tsx does.
 */
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
})
