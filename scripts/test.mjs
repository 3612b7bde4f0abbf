#!/usr/bin/env node
/**
 * `npm test`: every check, in order: typecheck (one tsconfig per runtime), lint, Vitest unit and integration
 * tests, the app build, the Playwright end-to-end tests in Chromium, and the scripted delivery rounds. It ends
 * with one plain count line. Without TUOTOU_TEST_PG_URL, a throwaway embedded PostgreSQL serves the whole run.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { failedTests } from './test-failures.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const RESULTS = join(ROOT, 'test-results')
rmSync(RESULTS, { recursive: true, force: true })
mkdirSync(RESULTS, { recursive: true })
const bin = (name) => join(ROOT, 'node_modules', '.bin', name)

// The PostgreSQL suites' server: TUOTOU_TEST_PG_URL, or an embedded one for the whole run, held by a process
// (backend/testing/embedded-postgres-process.ts) that stops it when its standard input closes, so it goes with
// this script however this script ends.
async function startPostgres() {
  const given = process.env.TUOTOU_TEST_PG_URL
  if (given) return { label: `TUOTOU_TEST_PG_URL (${new URL(given).host})`, holder: null }
  console.log('\n━━ PostgreSQL: starting an embedded server for the run')
  const holder = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'backend/testing/embedded-postgres-process.ts')],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  const line = await new Promise((resolve) => {
    createInterface({ input: holder.stdout }).once('line', resolve)
    holder.once('exit', () => resolve('{"ok":false,"reason":"the embedded PostgreSQL process exited"}'))
  })
  const answer = JSON.parse(line)
  if (!answer.ok) {
    // Vitest's set-up reads this and the PostgreSQL suites skip, saying why.
    process.env.TUOTOU_TEST_PG_SKIP = `embedded PostgreSQL did not start: ${answer.reason}`
    console.warn(process.env.TUOTOU_TEST_PG_SKIP)
    return { label: 'skipped (the embedded server did not start; see above)', holder: null }
  }
  process.env.TUOTOU_TEST_PG_URL = answer.url
  console.log(`PostgreSQL ${answer.version} on ${new URL(answer.url).host}`)
  return { label: `embedded ${answer.version}`, holder }
}
const postgres = await startPostgres()

const steps = []
function step(name, command, args, env = {}) {
  console.log(`\n━━ ${name}: ${[command, ...args].map((part) => part.replace(ROOT + '/', '')).join(' ')}`)
  const started = Date.now()
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } })
  const ok = result.status === 0
  steps.push({ name, ok, seconds: Math.round((Date.now() - started) / 1000) })
  return ok
}

step('typecheck (node)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.node.json'])
step('typecheck (web)', bin('vue-tsc'), ['--noEmit', '-p', 'tsconfig.web.json'])
step('lint (eslint)', bin('eslint'), ['--max-warnings', '0', '.'])
step('lint (prettier)', bin('prettier'), ['--check', '--log-level', 'warn', '.'])
const unitJson = join(RESULTS, 'unit.json')
step('unit and integration (vitest)', bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${unitJson}`,
])
const built = step('build (electron-vite)', bin('electron-vite'), ['build'])
const e2eJson = join(RESULTS, 'e2e.json')
if (built) {
  step('end to end (playwright)', bin('playwright'), ['test', '-c', 'e2e/playwright.config.ts'], {
    PLAYWRIGHT_JSON_OUTPUT_FILE: e2eJson,
  })
} else {
  steps.push({ name: 'end to end (playwright)', ok: false, seconds: 0, skipped: 'the build failed' })
}

// Scripted delivery rounds (issue 6), each played by `npm run round` against real processes, one after the
// other after the Playwright suite so their UI timings do not compete with its workers. Each round is one test.
// `--speed` makes the people (customers, the courier's patience) quicker; the app's own timers stay as they are.
const ROUNDS = [
  { file: 'e2e/rounds/xiangcheng-morning.yaml', speed: 4 },
  { file: 'e2e/rounds/basement-dead-zone.yaml', speed: 4 },
  { file: 'e2e/rounds/slow-acquirer.yaml', speed: 1 },
  { file: 'e2e/rounds/double-payment.yaml', speed: 2 },
  { file: 'e2e/rounds/stray-crash-swap.yaml', speed: 2 },
  { file: 'e2e/rounds/customer-code.yaml', speed: 2 },
  { file: 'e2e/rounds/proof-offline.yaml', speed: 2 },
  { file: 'e2e/rounds/refunds.yaml', speed: 2 },
  { file: 'e2e/rounds/split-payment.yaml', speed: 2 },
]
const roundCounts = { passed: 0, failed: 0, skipped: 0 }
const roundsFailed = []
if (built) {
  console.log('\n━━ scripted rounds: npm run round -- FILE --speed N --report test-results/rounds/NAME')
  const started = Date.now()
  for (const round of ROUNDS) {
    const name = round.file.replace(/^.*\//, '').replace(/\.yaml$/, '')
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'e2e/runner/cli.ts'),
        round.file,
        '--speed',
        String(round.speed),
        '--report',
        join(RESULTS, 'rounds', name),
      ],
      { cwd: ROOT, stdio: 'inherit' },
    )
    if (result.status === 0) roundCounts.passed++
    else {
      roundCounts.failed++
      roundsFailed.push(name)
    }
  }
  steps.push({
    name: 'scripted rounds',
    ok: roundCounts.failed === 0,
    seconds: Math.round((Date.now() - started) / 1000),
  })
} else {
  steps.push({ name: 'scripted rounds', ok: false, seconds: 0, skipped: 'the build failed' })
}

if (postgres.holder) {
  postgres.holder.stdin.end()
  await new Promise((resolve) => postgres.holder.once('exit', resolve))
}

function readJson(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null
}
const unit = readJson(unitJson)
const unitCounts = unit
  ? { passed: unit.numPassedTests, failed: unit.numFailedTests, skipped: unit.numPendingTests + unit.numTodoTests }
  : { passed: 0, failed: 0, skipped: 0 }
// The suites of `databasesUnderTest` are titled `… on postgres`.
const onPostgres = (unit?.testResults ?? [])
  .flatMap((file) => file.assertionResults)
  .filter((test) => test.ancestorTitles.some((title) => / on postgres$/.test(title)))
const postgresCounts = {
  passed: onPostgres.filter((test) => test.status === 'passed').length,
  failed: onPostgres.filter((test) => test.status === 'failed').length,
}
const e2e = readJson(e2eJson)
const e2eCounts = e2e
  ? { passed: e2e.stats.expected, failed: e2e.stats.unexpected + e2e.stats.flaky, skipped: e2e.stats.skipped }
  : { passed: 0, failed: 0, skipped: 0 }

const failures = failedTests({ unit, e2e, rounds: roundsFailed, root: ROOT })

console.log('\n━━ summary')
// At most a screenful, so that the steps and the count line stay in a tail of the log.
const SHOWN_FAILURES = 15
for (const line of failures.slice(0, SHOWN_FAILURES)) console.log(`failed: ${line}`)
if (failures.length > SHOWN_FAILURES)
  console.log(`failed: … and ${failures.length - SHOWN_FAILURES} more (test-results/unit.json, test-results/e2e.json)`)
for (const s of steps)
  console.log(`${s.ok ? 'ok  ' : 'FAIL'} ${s.name} (${s.seconds}s)${s.skipped ? `: ${s.skipped}` : ''}`)
const failedSteps = steps.filter((s) => !s.ok).length
const total = {
  passed: unitCounts.passed + e2eCounts.passed + roundCounts.passed,
  failed: unitCounts.failed + e2eCounts.failed + roundCounts.failed,
  skipped: unitCounts.skipped + e2eCounts.skipped + roundCounts.skipped,
}
console.log(
  `tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped ` +
    `(unit ${unitCounts.passed}/${unitCounts.passed + unitCounts.failed}, e2e ${e2eCounts.passed}/${e2eCounts.passed + e2eCounts.failed}, ` +
    `rounds ${roundCounts.passed}/${roundCounts.passed + roundCounts.failed}; ` +
    `postgres: ${postgres.label}, ${postgresCounts.passed} tests${postgresCounts.failed ? `, ${postgresCounts.failed} failed` : ''}); ` +
    `steps: ${steps.length - failedSteps} ok, ${failedSteps} failed`,
)
process.exit(failedSteps === 0 ? 0 : 1)
