/**
 * The terminal at rest (issue 13, point 6): a courier between doors with the route loaded and nothing to send.
 * The backend, the terminal's core (the browser host process, which runs the same core as Electron's main process)
 * and Chromium run as real processes; after the shift starts and everything has synced, this reads their CPU time
 * from /proc over a quiet minute:
 * - idle CPU of the terminal, core plus renderer (the whole Chromium process tree), as a share of one core
 *   (bar: under 1%);
 * - the renderer's timer wake-ups per minute (setTimeout, setInterval and animation-frame callbacks that ran),
 *   counted by a script that wraps them before the app loads.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { chromium } from '@playwright/test'
import { CHROMIUM_FLAGS, ensureBuilt, findChromium } from '../scripts/launch'
import { Courier } from '../e2e/support/courier'
import { startSandboxBackend, startTerminal } from '../e2e/support/processes'
import type { Bench } from './figures'

const SETTLE_MS = 10_000
const WINDOW_MS = Number(process.env.TUOTOU_BENCH_IDLE_MS ?? 60_000)
const TICKS_PER_SECOND = 100

/** The process and every descendant, read from /proc. */
function tree(root: number): number[] {
  const parents = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parents.set(Number(entry), Number(fields[1]))
    } catch {
      // The process ended while the list was read.
    }
  }
  const found = [root]
  for (let i = 0; i < found.length; i++) {
    for (const [pid, parent] of parents) if (parent === found[i]) found.push(pid)
  }
  return found
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? ''
  } catch {
    return ''
  }
}

/** User plus system CPU seconds of the processes, now. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // Gone: its time is lost to the figure, which then reads low; the log says how many were seen.
    }
  }
  return ticks / TICKS_PER_SECOND
}

// Page code as a string: it runs in the page before the app, counting every timer callback that runs.
const COUNT_WAKE_UPS = `(() => {
  let count = 0
  window.__wakeUps = () => count
  const wrap = (name) => {
    const original = window[name]
    window[name] = function (callback, ...rest) {
      if (typeof callback !== 'function') return original.call(window, callback, ...rest)
      return original.call(window, function (...args) { count++; return callback.apply(this, args) }, ...rest)
    }
  }
  wrap('setTimeout'); wrap('setInterval'); wrap('requestAnimationFrame')
})()`

/** CPU seconds of each group of processes over a quiet window, and the window's length. */
async function quietWindow(
  groups: Record<string, () => number[]>,
  windowMs: number,
): Promise<{ seconds: number; cpu: Record<string, number> }> {
  const pids = Object.fromEntries(Object.entries(groups).map(([name, find]) => [name, find()]))
  const before = Object.fromEntries(Object.entries(pids).map(([name, list]) => [name, cpuSeconds(list)]))
  const started = process.hrtime.bigint()
  await new Promise((resolve) => setTimeout(resolve, windowMs))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = Object.fromEntries(Object.entries(pids).map(([name, list]) => [name, cpuSeconds(list) - before[name]!]))
  return { seconds, cpu }
}

const percentOf = (cpu: number, seconds: number): number => (cpu / seconds) * 100

const bench: Bench = async (context) => {
  ensureBuilt()
  const backend = await startSandboxBackend()
  const terminal = await startTerminal(backend.url)
  const browser = await chromium.launch({ executablePath: findChromium() ?? undefined, args: CHROMIUM_FLAGS })
  try {
    const corePids = (): number[] => tree(terminal.child.pid!)
    // Playwright starts Chromium as a child of this process: its tree, less the backend's and the core's.
    const chromiumPids = (): number[] => {
      const others = new Set([...tree(backend.child.pid!), ...corePids()])
      return tree(process.pid).filter((pid) => !others.has(pid) && /chrom/i.test(commandOf(pid)))
    }

    // What Chromium costs here with nothing in it, the same way, for comparison within this run.
    const blank = await browser.newPage({ viewport: { width: 480, height: 854 } })
    await blank.goto('about:blank')
    await blank.waitForTimeout(SETTLE_MS)
    const baseline = await quietWindow({ chromium: chromiumPids }, WINDOW_MS)
    await blank.close()

    const page = await browser.newPage({ viewport: { width: 480, height: 854 }, locale: 'zh-CN' })
    await page.addInitScript(COUNT_WAKE_UPS)
    await page.goto(terminal.url)
    const courier = new Courier(page)
    await courier.startShift(backend.enrollmentCode)
    await page.getByTestId('tab-route').click()
    await page.getByTestId('route-stop').first().waitFor()
    await page.getByTestId('tab-scan').click()
    await page.waitForTimeout(SETTLE_MS)

    const wakeUpsBefore = Number(await page.evaluate('window.__wakeUps()'))
    const idle = await quietWindow({ core: corePids, chromium: chromiumPids }, WINDOW_MS)
    const wakeUps = Number(await page.evaluate('window.__wakeUps()')) - wakeUpsBefore

    const core = percentOf(idle.cpu.core!, idle.seconds)
    const renderer = percentOf(idle.cpu.chromium!, idle.seconds)
    const empty = percentOf(baseline.cpu.chromium!, baseline.seconds)
    context.log(
      `${idle.seconds.toFixed(0)} s at rest: core ${idle.cpu.core!.toFixed(2)} s CPU, Chromium ` +
        `${idle.cpu.chromium!.toFixed(2)} s (an empty Chromium: ${baseline.cpu.chromium!.toFixed(2)} s)`,
    )
    context.figure({ name: 'idle CPU, core (browser host)', value: core, unit: '% of a core' })
    context.figure({
      name: 'idle CPU, Chromium with the terminal (all its processes)',
      value: renderer,
      unit: '% of a core',
    })
    context.figure({ name: 'idle CPU, the same Chromium empty (about:blank)', value: empty, unit: '% of a core' })
    context.figure({
      name: 'idle CPU, terminal (core + renderer, over an empty Chromium)',
      value: core + Math.max(0, renderer - empty),
      unit: '% of a core',
      target: { op: '<', value: 1 },
      note: `route loaded, ${idle.seconds.toFixed(0)} s at rest`,
    })
    context.figure({
      name: 'renderer timer wake-ups while idle',
      value: (wakeUps / idle.seconds) * 60,
      unit: '/min',
      note: 'setTimeout, setInterval and animation-frame callbacks that ran',
    })
  } finally {
    await browser.close()
    await terminal.stop()
    await backend.stop()
  }
}

export default bench
