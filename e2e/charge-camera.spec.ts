import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { CHROMIUM_FLAGS, findChromium } from '../scripts/launch'
import { fakeCameraFlags, writeLabelCameraFeed } from './support/camera-feed'
import { expect, test } from './support/fixtures'
import { setWallet } from './support/sandbox'

/**
 * The courier opens "scan customer's code" on the order card and the camera reads the payment code (付款码) the
 * sandbox wallet shows, as its barcode: the charge goes through the backend to "Paid". Chromium plays the feed
 * as its camera; the file is written once the wallet has made its code, before the camera opens (Chromium reads
 * it when capture starts).
 */
const feed = join(import.meta.dirname, '.artifacts', 'charge-camera.y4m')
mkdirSync(join(import.meta.dirname, '.artifacts'), { recursive: true })

test.use({
  launchOptions: { executablePath: findChromium() ?? undefined, args: [...CHROMIUM_FLAGS, ...fakeCameraFlags(feed)] },
  permissions: ['camera'],
})

test("the camera reads the customer's payment code from the sandbox wallet, and the order is paid", async ({
  courier,
  route,
  sandbox,
  page,
}) => {
  const order = route.find((o) => o.codFen > 0 && o.barcodes.length === 1)!
  const { paymentCode } = await setWallet(sandbox.url, 'wallet-camera')
  expect(paymentCode.code).toMatch(/^88\d{16}$/)
  await writeLabelCameraFeed(feed, paymentCode.code, 'code128')

  await courier.scan(order.barcodes[0]!)
  await expect(courier.byId('order-card')).toContainText(order.waybill)
  await courier.tap('charge-scan')
  // "Paid" stays up a moment before the terminal returns to scan: caught as it is painted.
  await page.waitForSelector('[data-testid="charge-status"][data-state="paid"]', { timeout: 20_000 })
  await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'digital', { timeout: 10_000 })
  await expect(courier.byId('camera-scanner')).toBeHidden()
})
