import { Courier } from './support/courier'
import { pickOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { shot } from './support/screens'

/**
 * Every terminal screen in both languages, saved to `e2e/.artifacts/screens/` to be looked at (sunlight contrast,
 * glove-size targets, nothing untranslated or clipped). Each shot also checks what a tester relies on: the
 * screen's hooks are there and no English message key leaks into the page.
 */
for (const locale of ['zh-CN', 'en'] as const) {
  test(`every screen in ${locale}`, async ({ page, fieldTerminal, sandbox, link, route }) => {
    test.setTimeout(150_000)
    const courier = new Courier(page)
    await page.goto(fieldTerminal.url)
    await expect(courier.byId('setup-screen')).toBeVisible()
    await page.getByTestId(`language-${locale}`).click()
    await courier.byId('enroll-code').fill('OOOO0000')
    await courier.byId('enroll-submit').click()
    await expect(page.getByText(locale === 'en' ? /8 letters and digits/ : /8 位字母和数字/)).toBeVisible()
    await shot(page, 'setup', locale)

    await courier.enroll(sandbox.enrollmentCode)
    await courier.byId('login-staff').fill('SZ1001')
    await courier.byId('login-pin').fill('12')
    await shot(page, 'login', locale)
    await courier.byId('login-pin').fill('1234')

    // Hold the manifest download in a dead zone long enough to see its progress, then let it fail and retry.
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    await page.route('**/ipc/downloadManifest', async (request) => {
      await held
      await request.continue()
    })
    await courier.byId('login-submit').click()
    await expect(courier.byId('manifest-screen')).toBeVisible()
    link.setMode('offline')
    release()
    await expect(courier.byId('manifest-error')).toBeVisible({ timeout: 15_000 })
    await shot(page, 'manifest-failed', locale)
    link.setMode('online')
    await page.unroute('**/ipc/downloadManifest')
    await courier.byId('manifest-retry').click()
    await expect(courier.byId('scan-screen')).toBeVisible({ timeout: 20_000 })
    await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'yes', { timeout: 10_000 })
    await shot(page, 'scan-ready', locale)

    const cod = pickOrder(route, 'single-parcel COD order', (o) => o.codFen > 0 && o.barcodes.length === 1)
    await courier.scan(cod.barcodes[0]!)
    await expect(courier.byId('order-card')).toBeVisible()
    await shot(page, 'order-card', locale)

    await courier.scan('JDVA00000000000-1-1-')
    await expect(courier.byId('scan-refusal')).toHaveAttribute('data-reason', 'not_on_manifest')
    await shot(page, 'scan-refused', locale)

    const multi = pickOrder(route, 'two-parcel order', (o) => o.barcodes.length === 2)
    await courier.scan(multi.barcodes[0]!)
    await expect(courier.byId('order-parcels')).toHaveAttribute('data-scanned', '1')
    await shot(page, 'multi-parcel', locale)

    await courier.scan(cod.barcodes[0]!)
    await courier.tap('pay-digital')
    await expect(courier.byId('payment-status')).toHaveAttribute('data-state', 'waiting')
    await shot(page, 'payment-waiting', locale)
    await expect(courier.byId('payment-status')).toHaveAttribute('data-state', 'slow', { timeout: 15_000 })
    await shot(page, 'payment-slow', locale)

    await courier.tap('pay-cash')
    await expect(courier.byId('cash-panel')).toBeVisible()
    await courier.byId('cash-amount').fill('50')
    await expect(courier.byId('cash-difference')).toHaveClass(/off/)
    await shot(page, 'cash-short', locale)
    await courier.tap('cash-back')

    const other = pickOrder(route, 'another COD order', (o) => o.codFen > 0 && o.barcodes.length === 1 && o !== cod)
    await courier.scan(other.barcodes[0]!)
    await courier.tap('pay-failed')
    await expect(courier.byId('failure-sheet')).toBeVisible()
    await shot(page, 'failure-reasons', locale)
    await courier.tap('fail-not_home')
    await expect(courier.byId('delivery-done')).toBeVisible()
    await shot(page, 'failure-recorded', locale)

    await courier.byId('tab-route').click()
    await expect(courier.byId('route-screen')).toBeVisible()
    await shot(page, 'route', locale)

    await courier.byId('tab-shift').click()
    await expect(courier.byId('shift-totals')).toBeVisible()
    await shot(page, 'shift', locale)

    await courier.byId('tab-settings').click()
    await expect(courier.byId('settings-screen')).toBeVisible()
    await shot(page, 'settings', locale)

    await courier.byId('sync-chip').click()
    await expect(courier.byId('sync-details')).toBeVisible()
    await shot(page, 'sync-details', locale)
  })
}

test('the doorstep screens also fit 720×1280', async ({ page, courier, route }) => {
  await page.setViewportSize({ width: 720, height: 1280 })
  const cod = pickOrder(route, 'single-parcel COD order', (o) => o.codFen > 0 && o.barcodes.length === 1)
  await courier.scan(cod.barcodes[0]!)
  await expect(courier.byId('order-card')).toBeVisible()
  await shot(page, 'order-card', 'zh-CN')
  await courier.tap('pay-digital')
  await expect(courier.byId('payment-qr')).toBeVisible()
  await shot(page, 'payment-waiting', 'zh-CN')
  await courier.byId('payment-back').click()
  await courier.byId('tab-route').click()
  await shot(page, 'route', 'zh-CN')
})
