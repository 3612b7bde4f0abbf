/**
 * `npm run round -- FILE [--headed] [--electron] [--report DIR] [--speed N]`: plays a scripted delivery round
 * against the real backend and terminal and says whether every expectation held.
 *
 * Exit status: 0 every expectation held; 1 a stop or an expectation failed; 2 bad input (usage, a missing or
 * invalid round file, `--electron` where there is no Electron), nothing run; 3 the round could not be played
 * (a process did not start); 130 interrupted.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { RoundProcesses } from './lifecycle'
import { formatErrors, loadRoundFile } from './load'
import { playRound } from './play'
import { writeReport } from './report'
import { chooseHost } from './terminal-host'

const USAGE = 'usage: npm run round -- FILE [--headed] [--electron] [--report DIR] [--speed N]'

function badInput(message: string): never {
  console.error(`${message}\nNothing was run.\n${USAGE}`)
  process.exit(2)
}

let parsed
try {
  parsed = parseArgs({
    allowPositionals: true,
    strict: true,
    options: {
      headed: { type: 'boolean', default: false },
      electron: { type: 'boolean', default: false },
      report: { type: 'string' },
      speed: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
  })
} catch (error) {
  badInput(error instanceof Error ? error.message : String(error))
}
if (parsed.values.help) {
  console.log(USAGE)
  process.exit(0)
}
const [file, ...extra] = parsed.positionals
if (!file) badInput('which round? Give a round file, e.g. e2e/rounds/xiangcheng-morning.yaml')
if (extra.length > 0) badInput(`one round at a time: ${extra.join(' ')} is extra`)
const speed = Number(parsed.values.speed)
if (!Number.isFinite(speed) || speed <= 0 || speed > 50) {
  badInput(`--speed is how many times faster the people wait (0 < N ≤ 50), not "${parsed.values.speed}"`)
}

if (parsed.values.headed && process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  badInput('--headed needs a display to show the terminal on, and neither DISPLAY nor WAYLAND_DISPLAY is set')
}

const loaded = loadRoundFile(file)
if (!loaded.ok) {
  console.error(
    `${file} is not a round the runner can play (${loaded.errors.length} ${loaded.errors.length === 1 ? 'error' : 'errors'}):`,
  )
  badInput(formatErrors(file, loaded.errors))
}
const host = chooseHost(parsed.values.electron ? 'electron' : 'auto')
if ('error' in host) badInput(host.error)

const plan = loaded.plan
const reportDir = parsed.values.report ? resolve(parsed.values.report) : null
const processes = new RoundProcesses()
let interrupted = false
/** Ctrl-C: stop what the round started, last first, then exit. Kept registered so a second Ctrl-C is ignored. */
const interrupt = (signal: NodeJS.Signals): void => {
  if (interrupted) return
  interrupted = true
  console.error(`\n${signal}: stopping the round's processes…`)
  void processes.stopAll().finally(() => process.exit(130))
}
process.on('SIGINT', interrupt)
process.on('SIGTERM', interrupt)

console.log(
  `Round "${plan.name}" from ${file}: ${plan.stops.length} stops, seed ${plan.seed}, speed ×${speed}; terminal: ${host.note}`,
)
let exitCode: number
try {
  const result = await playRound(plan, {
    file,
    headed: parsed.values.headed,
    electronPath: host.electronPath,
    hostNote: host.note,
    speed,
    reportDir,
    processes,
    progress: (line) => {
      if (!interrupted) console.log(line)
    },
  })
  await processes.stopAll()
  for (const expectation of result.expectations.filter((e) => !e.held)) {
    console.log(
      `  ✗ ${expectation.name}: expected ${expectation.expected}, got ${expectation.actual}. ${expectation.reason ?? ''}`,
    )
  }
  if (reportDir) {
    const written = writeReport(result, reportDir)
    console.log(`Report: ${written.html}`)
  }
  console.log(result.summary)
  exitCode = result.passed ? 0 : 1
} catch (error) {
  // Interrupted, the round falls over as its processes stop: the signal handler reports that and exits.
  if (!interrupted) {
    console.error(
      `The round could not be played: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    )
  }
  exitCode = 3
} finally {
  await processes.stopAll()
}
if (!interrupted) process.exit(exitCode)
