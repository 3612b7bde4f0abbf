/**
 * A scripted round of 150 generated stops (`e2e/rounds/stress-150.yaml`), played headless by the round runner
 * against real processes, as `npm run round` plays it: wall time (target: under 3 minutes, about 1 s a stop, UI
 * included) and the three UI figures under that load, from the terminal's own performance marks.
 */
import { join } from 'node:path'
import { tempDir } from '../e2e/support/processes'
import { RoundProcesses } from '../e2e/runner/lifecycle'
import { formatErrors, loadRoundFile } from '../e2e/runner/load'
import { playRound } from '../e2e/runner/play'
import { writeReport } from '../e2e/runner/report'
import { chooseHost } from '../e2e/runner/terminal-host'
import type { Bench } from './figures'

const ROUND = join(import.meta.dirname, '..', 'e2e', 'rounds', 'stress-150.yaml')

const bench: Bench = async (context) => {
  const loaded = loadRoundFile(ROUND)
  if (!loaded.ok) throw new Error(formatErrors(ROUND, loaded.errors))
  const host = chooseHost('auto')
  if ('error' in host) throw new Error(host.error)
  const processes = new RoundProcesses()
  const reportDir = tempDir('round-bench')
  try {
    const result = await playRound(loaded.plan, {
      file: ROUND,
      headed: false,
      electronPath: host.electronPath,
      hostNote: host.note,
      speed: 1,
      reportDir,
      processes,
      progress: () => undefined,
    })
    const report = writeReport(result, reportDir)
    context.log(result.summary)
    context.log(`report: ${report.html}`)
    const stops = result.stops
    const atTheDoors = (stops.at(-1)?.endedMs ?? 0) - (stops[0]?.startedMs ?? 0)
    context.figure({
      name: `round of ${stops.length} stops, wall time`,
      value: result.wallMs / 1000,
      unit: 's',
      target: { op: '<', value: 180 },
      note: `start to checks done, ${result.passed ? 'every expectation held' : 'EXPECTATIONS FAILED'}`,
    })
    context.figure({
      name: 'time at the doors, per stop',
      value: atTheDoors / stops.length / 1000,
      unit: 's',
      target: { op: '<', value: 1 },
      note: `first scan to last stop, ${(atTheDoors / 1000).toFixed(1)} s`,
    })
    const bars = [
      ['burst end → order card', result.figures.scanToCard, 100],
      ['tap → QR', result.figures.tapToQr, 150],
      ['acquirer confirmation → "paid"', result.figures.confirmToPaid, 500],
    ] as const
    for (const [name, figure, bar] of bars) {
      if (figure.p50 === null || figure.p95 === null) continue
      context.figure({ name: `${name} under load, p50`, value: figure.p50, unit: 'ms' })
      context.figure({
        name: `${name} under load, p95`,
        value: figure.p95,
        unit: 'ms',
        target: { op: '<', value: bar },
        note: `${figure.count} samples`,
      })
    }
    if (result.actionsPerDelivery.digital.max !== null) {
      context.figure({
        name: 'deliberate actions per one-parcel digital delivery (max)',
        value: result.actionsPerDelivery.digital.max,
        unit: 'actions',
        target: { op: '<', value: 3 },
        note: `${result.actionsPerDelivery.digital.count} deliveries`,
      })
    }
  } finally {
    await processes.stopAll()
  }
}

export default bench
