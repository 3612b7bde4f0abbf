import { _electron as electron } from '@playwright/test'
import { ROOT, findElectron } from '../scripts/launch'
import { expect, test } from './support/fixtures'
import { tempDir } from './support/processes'

const found = findElectron()

test('the Electron shell opens the terminal with its preload bridge', async ({ backend }) => {
  if (found.path === null) console.log(`Electron smoke test skipped: ${found.reason}`)
  test.skip(found.path === null, found.path === null ? found.reason : '')
  const app = await electron.launch({
    executablePath: found.path!,
    args: [ROOT, `--data=${tempDir('electron')}`, `--backend=${backend.url}`, '--no-sandbox'],
  })
  try {
    const window = await app.firstWindow()
    await expect(window.getByTestId('setup-screen')).toBeVisible()
    await expect(window.getByTestId('host-banner')).toHaveCount(0)
    expect(await window.evaluate(() => typeof (window as { tuotou?: unknown }).tuotou)).toBe('object')
    expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined')
  } finally {
    await app.close()
  }
})
