#!/usr/bin/env node
/**
 * `npm test`: every check, in order: typecheck (one tsconfig per runtime), lint, Vitest unit and integration
 * tests, the app build, and the Playwright end-to-end tests in Chromium. It ends with one plain count line.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const RESULTS = join(ROOT, 'test-results')
rmSync(RESULTS, { recursive: true, force: true })
mkdirSync(RESULTS, { recursive: true })
const bin = (name) => join(ROOT, 'node_modules', '.bin', name)

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

function readJson(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null
}
const unit = readJson(unitJson)
const unitCounts = unit
  ? { passed: unit.numPassedTests, failed: unit.numFailedTests, skipped: unit.numPendingTests + unit.numTodoTests }
  : { passed: 0, failed: 0, skipped: 0 }
const e2e = readJson(e2eJson)
const e2eCounts = e2e
  ? { passed: e2e.stats.expected, failed: e2e.stats.unexpected + e2e.stats.flaky, skipped: e2e.stats.skipped }
  : { passed: 0, failed: 0, skipped: 0 }

console.log('\n━━ summary')
for (const s of steps)
  console.log(`${s.ok ? 'ok  ' : 'FAIL'} ${s.name} (${s.seconds}s)${s.skipped ? `: ${s.skipped}` : ''}`)
const failedSteps = steps.filter((s) => !s.ok).length
const total = {
  passed: unitCounts.passed + e2eCounts.passed,
  failed: unitCounts.failed + e2eCounts.failed,
  skipped: unitCounts.skipped + e2eCounts.skipped,
}
console.log(
  `tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped ` +
    `(unit ${unitCounts.passed}/${unitCounts.passed + unitCounts.failed}, e2e ${e2eCounts.passed}/${e2eCounts.passed + e2eCounts.failed}); ` +
    `steps: ${steps.length - failedSteps} ok, ${failedSteps} failed`,
)
process.exit(failedSteps === 0 ? 0 : 1)
