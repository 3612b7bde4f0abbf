import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { routeDateOf } from '../backend/manifests/route-date'
import { CHROMIUM_FLAGS, findChromium } from '../scripts/launch'
import { BackendRecords } from './support/backend-records'
import { fakeCameraFlags, writeLabelCameraFeed } from './support/camera-feed'
import { demoRoute, pickOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'

// The fake camera shows a parcel label (Code 128) of today's demo route, built for the depot's day in Suzhou.
const order = pickOrder(demoRoute(routeDateOf(Date.now(), 'Asia/Shanghai')), 'COD order', (o) => o.codFen > 0)
const feed = join(import.meta.dirname, '.artifacts', 'camera-code128.y4m')
mkdirSync(join(import.meta.dirname, '.artifacts'), { recursive: true })
await writeLabelCameraFeed(feed, order.barcodes[0]!, 'code128')

test.use({
  launchOptions: { executablePath: findChromium() ?? undefined, args: [...CHROMIUM_FLAGS, ...fakeCameraFlags(feed)] },
  permissions: ['camera'],
})

test('the camera key opens the camera, which reads a Code 128 label and opens its order', async ({
  courier,
  sandbox,
}) => {
  await courier.page.keyboard.press('F8')
  await expect(courier.byId('camera-scanner')).toBeVisible()
  await expect(courier.byId('order-card')).toContainText(order.waybill, { timeout: 15_000 })
  await expect(courier.byId('camera-scanner')).toBeHidden()

  const records = new BackendRecords(sandbox.dbFile)
  await expect
    .poll(
      () =>
        records
          .events(order.waybill)
          .filter((e) => e.type === 'parcel.scanned')
          .map((e) => (JSON.parse(e.payload) as { source: string }).source),
      { timeout: 10_000 },
    )
    .toEqual(['camera'])
})

test('the camera key can be changed in settings', async ({ courier }) => {
  await courier.byId('tab-settings').click()
  await courier.byId('camera-key').click()
  await courier.page.keyboard.press('F9')
  await expect(courier.byId('camera-key')).toHaveText('F9')
  await courier.byId('tab-scan').click()
  await courier.page.keyboard.press('F8')
  await expect(courier.byId('camera-scanner')).toBeHidden()
  await courier.page.keyboard.press('F9')
  await expect(courier.byId('order-card')).toContainText(order.waybill, { timeout: 15_000 })
})
