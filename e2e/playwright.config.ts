import { defineConfig } from '@playwright/test'
import { CHROMIUM_FLAGS, findChromium } from '../scripts/launch'

const chromium = findChromium()

/** End-to-end tests: the real renderer in Debian's Chromium, against a real browser host and backend. */
export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  outputDir: './.artifacts/test-results',
  // CI's machine runs this suite up to half again slower than a developer's (22 min against 15): a test's time and
  // its waits are set for that, so that only a test that is wrong fails, not one that is slow there.
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: process.env.CI ? 2 : 2,
  retries: 0,
  reporter: [
    ['list'],
    ['json', { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_FILE ?? './.artifacts/e2e-results.json' }],
  ],
  use: {
    browserName: 'chromium',
    viewport: { width: 480, height: 854 },
    deviceScaleFactor: 1,
    locale: 'zh-CN',
    launchOptions: {
      ...(chromium ? { executablePath: chromium } : {}),
      args: CHROMIUM_FLAGS,
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
})
