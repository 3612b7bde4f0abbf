/**
 * The property and model-based tests given a long run: the same properties `npm test` runs with a fixed seed and
 * a small budget, here with many more runs and a fresh seed each time (printed, so a failure replays with
 * `TUOTOU_PROPERTY_SEED`). Each runs as its own Vitest process; this reports the runs and the time they took.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from '../scripts/launch'
import type { Bench } from './figures'

const PROPERTIES: { name: string; file: string; runs: number }[] = [
  { name: 'doorstep model (issue 10)', file: 'src-main/core/doorstep/doorstep.model.test.ts', runs: 400 },
  { name: 'IPC fuzz, every channel (issue 11)', file: 'src-main/core/ipc.fuzz.test.ts', runs: 300 },
]

const bench: Bench = (context) => {
  for (const property of PROPERTIES) {
    const seed = Math.floor(Math.random() * 2 ** 31)
    const started = performance.now()
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'vitest'), ['run', property.file, '--reporter=dot'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TUOTOU_PROPERTY_RUNS: String(property.runs), TUOTOU_PROPERTY_SEED: String(seed) },
    })
    const seconds = (performance.now() - started) / 1000
    const passed = run.status === 0
    context.figure({
      name: `${property.name}: runs without a counterexample`,
      value: passed ? property.runs : 0,
      unit: 'runs',
      target: { op: '>=', value: property.runs },
      note: `seed ${seed}, ${seconds.toFixed(0)} s${passed ? '' : ' — FAILED, see below'}`,
    })
    if (!passed) {
      const lines = `${run.stdout}\n${run.stderr}`
        .split('\n')
        .filter((line) => /Counterexample|seed|Caused by/.test(line))
      for (const line of lines.slice(0, 6)) context.log(line.trim())
    }
  }
  return Promise.resolve()
}

export default bench
