import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { failedTests } from './test-failures.mjs'

const ROOT = join(import.meta.dirname, '..')
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name)
// Inside the repository, so that the throwaway suites resolve its @playwright/test and vitest.
mkdirSync(join(ROOT, 'e2e', '.artifacts'), { recursive: true })
const dir = mkdtempSync(join(ROOT, 'e2e', '.artifacts', 'failures-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const files = {
  'playwright.config.ts': `export default { testDir: '.', testMatch: '*.spec.ts' }\n`,
  // Its own, or Vitest would take the repository's from above.
  'vitest.config.mjs': `export default { test: { include: ['*.test.ts'] } }\n`,
  'sample.spec.ts':
    `import { test, expect } from '@playwright/test'\n` +
    `test('keeps its word', () => { expect(1).toBe(1) })\n` +
    `test('breaks its word', () => { expect(2, 'two is not three').toBe(3) })\n`,
  'broken.spec.ts': `import { test } from '@playwright/test'\ntest('never runs', () => {}\n`,
  'sample.test.ts':
    `import { it, expect } from 'vitest'\n` +
    `it('adds', () => { expect(1 + 1).toBe(2) })\n` +
    `it('subtracts', () => { expect(3 - 1).toBe(1) })\n`,
  'broken.test.ts': `import { it } from 'vitest'\nit('never runs', () => {}\n`,
}
for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)

// The real reporters, run outside this Vitest: without its variables, which a nested run would take as its own.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(VITEST|TEST$|NODE_ENV$|CI$)/.test(key)),
)

function playwright(spec: string) {
  const report = join(dir, `${spec}.json`)
  spawnSync(bin('playwright'), ['test', '-c', join(dir, 'playwright.config.ts'), '--reporter=json', spec], {
    cwd: dir,
    env: { ...env, PLAYWRIGHT_JSON_OUTPUT_FILE: report },
  })
  return JSON.parse(readFileSync(report, 'utf8')) as unknown
}

function vitest() {
  const report = join(dir, 'unit.json')
  spawnSync(
    bin('vitest'),
    [
      'run',
      '--root',
      dir,
      '--config',
      join(dir, 'vitest.config.mjs'),
      '--reporter=json',
      `--outputFile.json=${report}`,
    ],
    {
      cwd: dir,
      env,
    },
  )
  return JSON.parse(readFileSync(report, 'utf8')) as unknown
}

describe('the failed tests in the summary', () => {
  it('names each failed test of Vitest, Playwright and the rounds, with the first line of why, and no passed one', () => {
    const lines = failedTests({ unit: vitest(), e2e: playwright('sample.spec.ts'), rounds: ['refunds'], root: dir })
    expect(lines.sort()).toEqual([
      expect.stringMatching(/^e2e {3}sample\.spec\.ts:3 breaks its word: failed after \d+ s: Error: two is not three/),
      'round refunds',
      expect.stringMatching(/^unit {2}broken\.test\.ts: Transform failed with 1 error: .*Expected/),
      expect.stringMatching(/^unit {2}sample\.test\.ts › subtracts: AssertionError: expected 2 to be 1/),
    ])
    expect(lines.join('\n')).not.toMatch(/adds|keeps its word|never runs/)
    expect(lines.join('\n')).not.toContain('\u001b[')
  }, 60_000)

  it('names a spec file that did not load, which stops the whole Playwright run', () => {
    const lines = failedTests({ unit: null, e2e: playwright('broken.spec.ts'), rounds: [], root: dir })
    expect(lines).toContainEqual(expect.stringMatching(/^e2e {3}broken\.spec\.ts: SyntaxError: .*Unexpected token/))
  }, 60_000)

  it('says nothing when nothing ran or nothing failed', () => {
    expect(failedTests({ unit: null, e2e: null, rounds: [], root: ROOT })).toEqual([])
  })
})
