import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { routeDateOf } from '../backend/manifests/route-date'
import { CHROMIUM_FLAGS, findChromium } from '../scripts/launch'
import { fakeCameraFlags, writeLabelCameraFeed } from './support/camera-feed'
import { demoRoute, pickOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'

// A label printed as a QR code: the camera reads QR (receipts come that way too) as well as Code 128.
const order = pickOrder(demoRoute(routeDateOf(Date.now(), 'Asia/Shanghai')), 'COD order', (o) => o.codFen > 0)
const feed = join(import.meta.dirname, '.artifacts', 'camera-qr.y4m')
mkdirSync(join(import.meta.dirname, '.artifacts'), { recursive: true })
await writeLabelCameraFeed(feed, order.barcodes[0]!, 'qr')

test.use({
  launchOptions: { executablePath: findChromium() ?? undefined, args: [...CHROMIUM_FLAGS, ...fakeCameraFlags(feed)] },
  permissions: ['camera'],
})

test('the camera button reads a QR label', async ({ courier }) => {
  await courier.tap('camera-open')
  await expect(courier.byId('order-card')).toContainText(order.waybill, { timeout: 15_000 })
  await expect(courier.byId('camera-scanner')).toBeHidden()
})
