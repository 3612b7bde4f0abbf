import { CHROMIUM_FLAGS, findChromium } from '../scripts/launch'
import { expect, test } from './support/fixtures'

// A camera is there (Chromium's fake device), but the courier (or the device's policy) did not allow it.
test.use({
  launchOptions: {
    executablePath: findChromium() ?? undefined,
    args: [...CHROMIUM_FLAGS, '--use-fake-device-for-media-stream'],
  },
  permissions: [],
})

test('a camera that is not allowed says so, in words', async ({ courier }) => {
  await courier.tap('camera-open')
  await expect(courier.byId('camera-problem')).toHaveText('摄像头未获授权，请手动输入。')
})
