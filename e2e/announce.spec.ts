import { formatFen } from '../shared/money'
import { announcementText } from '../shared/voice'
import { pickOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { payQr, setBehaviour } from './support/sandbox'
import { switchLocale } from './support/screens'

/**
 * Issue 13, point 1: every confirmed payment is spoken aloud from the bundled segments, in the terminal's
 * language, once per payment however often it is told (duplicate notifications, the poll), with the waybill's
 * last four digits when it is for an earlier order. The hidden `payment-announcement` says what was spoken.
 */
test('a confirmed payment is spoken once, in the terminal’s language, with the tail of an earlier order', async ({
  courier,
  route,
  sandbox,
  fieldTerminal,
  page,
}) => {
  // Every notification three times over: the terminal must still say each payment once.
  await setBehaviour(sandbox.url, { duplicates: 2 })
  const first = pickOrder(route, 'a single-parcel COD order', (o) => o.codFen > 0 && o.barcodes.length === 1)
  await courier.scan(first.barcodes[0]!)
  await courier.tap('pay-digital')
  const paid = await payQr(sandbox.url, await courier.readPaymentQr())
  const said = page.getByTestId('payment-announcement')
  await expect(said).toHaveAttribute('data-payment-id', paid.intentId, { timeout: 10_000 })
  await expect(said).toHaveAttribute(
    'data-text',
    announcementText('zh-CN', { amountFen: first.codFen, waybillTail: null }),
  )
  await expect(said).toHaveAttribute('data-count', '1')
  const speech = await page.evaluate(() => performance.getEntriesByName('tt:speech-start').length)
  expect(speech).toBe(1)

  // In English, a payment that lands for an earlier order names it by its last four digits.
  await switchLocale(fieldTerminal.url, 'en')
  const [second, third] = route.filter((o) => o.codFen > 0 && o.barcodes.length === 1 && o !== first)
  await courier.scan(second!.barcodes[0]!)
  await courier.tap('pay-digital')
  const qr = await courier.readPaymentQr()
  await courier.tap('payment-back')
  await courier.scan(third!.barcodes[0]!)
  const late = await payQr(sandbox.url, qr)
  await expect(said).toHaveAttribute('data-payment-id', late.intentId, { timeout: 10_000 })
  await expect(said).toHaveAttribute(
    'data-text',
    announcementText('en', { amountFen: second!.codFen, waybillTail: second!.waybill.slice(-4) }),
  )
  await expect(page.getByTestId('completion-banner')).toContainText(formatFen(second!.codFen))
  // The duplicates have all been delivered by now; still two payments said.
  await page.waitForTimeout(1500)
  await expect(said).toHaveAttribute('data-count', '2')
})

test('the courier can turn the announcement off, and set the volume', async ({ courier, route, sandbox, page }) => {
  await courier.byId('tab-settings').click()
  await courier.tap('settings-announce')
  await expect(courier.byId('settings-announce')).toHaveAttribute('data-on', 'no')
  await courier.tap('settings-volume-down')
  await expect(courier.byId('settings-volume')).toHaveAttribute('data-volume', '70')
  await courier.byId('tab-scan').click()
  const order = pickOrder(route, 'a single-parcel COD order', (o) => o.codFen > 0 && o.barcodes.length === 1)
  await courier.scan(order.barcodes[0]!)
  await courier.tap('pay-digital')
  await payQr(sandbox.url, await courier.readPaymentQr())
  await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'digital', { timeout: 10_000 })
  // Noted (for the record) but not spoken.
  await expect(page.getByTestId('payment-announcement')).toHaveAttribute('data-count', '1')
  expect(await page.evaluate(() => performance.getEntriesByName('tt:speech-start').length)).toBe(0)
})
