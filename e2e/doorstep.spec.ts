import { FailureReason } from '../shared/api/events'
import { formatFen } from '../shared/money'
import { BackendRecords } from './support/backend-records'
import type { CoverageLink } from './support/coverage-link'
import { AZERTY, type Courier } from './support/courier'
import { pickOrder, type DemoOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { payQr, setBehaviour } from './support/sandbox'

const singleCod = (route: DemoOrder[], skip = 0): DemoOrder =>
  route.filter((o) => o.codFen > 0 && o.barcodes.length === 1)[skip] ??
  pickOrder(route, `single-parcel COD order #${skip}`, () => false)

test('cash with the exact amount completes at once', async ({ courier, route, sandbox }) => {
  const order = singleCod(route)
  await courier.scan(order.barcodes[0]!)
  await courier.tap('pay-cash')
  // No QR was shown, so there is no digital payment to speak of.
  await expect(courier.byId('cash-panel')).toBeVisible()
  await expect(courier.byId('cash-notice')).toHaveCount(0)
  await expect(courier.byId('cash-amount')).toHaveValue((order.codFen / 100).toFixed(2))
  await expect(courier.byId('cash-difference')).not.toHaveClass(/off/)
  await courier.tap('cash-confirm')
  await expect(courier.byId('delivery-done')).toContainText(formatFen(order.codFen))
  expect(courier.deliberateActions).toBe(3)

  const records = new BackendRecords(sandbox.dbFile)
  await expect
    .poll(() => records.attempts(order.waybill), { timeout: 10_000 })
    .toEqual([{ outcome: 'delivered', method: 'cash', collected_fen: order.codFen, failure_reason: null }])
  await courier.byId('tab-shift').click()
  await expect(courier.byId('shift-cash-to-hand-in')).toHaveText(formatFen(order.codFen))
})

test('cash with a short amount is recorded by a button that names the shortfall', async ({
  courier,
  route,
  sandbox,
}) => {
  const order = singleCod(route)
  const short = order.codFen - 1000
  await courier.scan(order.barcodes[0]!)
  await courier.tap('pay-cash')
  await courier.type('cash-amount', (short / 100).toFixed(2))
  await expect(courier.byId('cash-difference')).toContainText(formatFen(1000))
  // Nothing is recorded until the courier taps the button that says what is short.
  await expect(courier.byId('cash-confirm')).toContainText(formatFen(short))
  await expect(courier.byId('cash-confirm')).toContainText(formatFen(1000))
  await expect(courier.byId('delivery-done')).toHaveCount(0)
  await courier.tap('cash-confirm')
  await expect(courier.byId('delivery-done')).toContainText(formatFen(short))

  // The backend records the delivery as the courier confirmed it: cash, with the short amount taken.
  const records = new BackendRecords(sandbox.dbFile)
  await expect
    .poll(() => records.attempts(order.waybill), { timeout: 10_000 })
    .toEqual([{ outcome: 'delivered', method: 'cash', collected_fen: short, failure_reason: null }])
  expect(records.events(order.waybill).find((e) => e.type === 'delivery.completed')?.status).toBe('applied')
  await courier.byId('tab-shift').click()
  await expect(courier.byId('shift-cash-to-hand-in')).toHaveText(formatFen(short))
})

test('a prepaid order completes on the scan itself', async ({ courier, route, sandbox }) => {
  const order = pickOrder(route, 'prepaid single-parcel order', (o) => o.codFen === 0 && o.barcodes.length === 1)
  await courier.scan(order.barcodes[0]!)
  await expect(courier.byId('delivery-done')).toContainText(order.waybill)
  await expect(courier.byId('order-card')).toHaveAttribute('data-status', 'delivered')
  await expect(courier.byId('pay-digital')).toHaveCount(0)
  expect(courier.deliberateActions).toBe(1)

  const records = new BackendRecords(sandbox.dbFile)
  await expect
    .poll(() => records.attempts(order.waybill), { timeout: 10_000 })
    .toEqual([{ outcome: 'delivered', method: 'prepaid', collected_fen: 0, failure_reason: null }])
  // Scanning it again is refused as already delivered.
  await courier.scan(order.barcodes[0]!)
  await expect(courier.byId('scan-refusal')).toHaveAttribute('data-reason', 'already_delivered')
})

test('each failure reason is one tap, and reaches the backend', async ({ courier, route, sandbox }) => {
  const orders = route.filter((o) => o.codFen > 0 && o.barcodes.length === 1).slice(0, FailureReason.options.length)
  expect(orders).toHaveLength(FailureReason.options.length)
  for (const [i, reason] of FailureReason.options.entries()) {
    await courier.scan(orders[i]!.barcodes[0]!)
    await courier.tap('pay-failed')
    await courier.tap(`fail-${reason}`)
    await expect(courier.byId('delivery-done')).toBeVisible()
  }
  const records = new BackendRecords(sandbox.dbFile)
  for (const [i, reason] of FailureReason.options.entries()) {
    await expect
      .poll(() => records.attempts(orders[i]!.waybill), { timeout: 10_000 })
      .toEqual([{ outcome: 'failed', method: null, collected_fen: 0, failure_reason: reason }])
  }
  await courier.byId('tab-route').click()
  await expect(courier.byId('route-counters').locator('[data-counter="failed"] dd')).toHaveText('5')
})

test('a multi-parcel order shows 1 of 2 scanned and waits for the second parcel', async ({
  courier,
  route,
  sandbox,
}) => {
  const order = pickOrder(route, 'two-parcel COD order', (o) => o.codFen > 0 && o.barcodes.length === 2)
  await courier.scan(order.barcodes[0]!)
  await expect(courier.byId('order-parcels')).toHaveAttribute('data-scanned', '1')
  await expect(courier.byId('scan-note')).toBeVisible()
  await expect(courier.byId('pay-digital')).toBeDisabled()
  await expect(courier.byId('pay-cash')).toBeDisabled()
  await expect(courier.byId('parcel-1')).toHaveAttribute('data-scanned', 'yes')
  await expect(courier.byId('parcel-2')).toHaveAttribute('data-scanned', 'no')

  await courier.scan(order.barcodes[1]!)
  await expect(courier.byId('order-parcels')).toHaveAttribute('data-scanned', '2')
  await expect(courier.byId('pay-digital')).toBeEnabled()
  await courier.tap('pay-digital')
  await payQr(sandbox.url, await courier.readPaymentQr())
  await expect(courier.byId('delivery-done')).toContainText(order.waybill)
  expect(courier.deliberateActions).toBe(3)

  const records = new BackendRecords(sandbox.dbFile)
  await expect
    .poll(() => records.events(order.waybill).filter((e) => e.type === 'parcel.scanned').length, { timeout: 10_000 })
    .toBe(2)
})

test('an unknown barcode is refused, says so, and is logged', async ({ courier, route, sandbox }) => {
  const unknown = 'JDVA99999999999-1-1-'
  await courier.scan(unknown)
  await expect(courier.byId('scan-refusal')).toHaveAttribute('data-reason', 'not_on_manifest')
  await expect(courier.byId('scan-refusal')).toContainText(unknown)
  await expect(courier.byId('order-card')).toHaveCount(0)
  // A label whose waybill is ours but whose parcel count is not.
  const order = singleCod(route)
  await courier.scan(`${order.waybill}-2-2-`)
  await expect(courier.byId('scan-refusal')).toHaveAttribute('data-reason', 'not_on_manifest')

  const records = new BackendRecords(sandbox.dbFile)
  await expect
    .poll(() => records.refusedScans(), { timeout: 10_000 })
    .toEqual([
      { code: unknown, reason: 'not_on_manifest', source: 'wedge' },
      { code: `${order.waybill}-2-2-`, reason: 'not_on_manifest', source: 'wedge' },
    ])
})

test('a garbled scan is refused as unreadable; a French keyboard setting does not garble a good one', async ({
  courier,
  route,
  sandbox,
  page,
}) => {
  await courier.scan('JDVA0#$%^&12-1-1-')
  await expect(courier.byId('scan-refusal')).toHaveAttribute('data-reason', 'malformed')
  await expect(courier.byId('order-card')).toHaveCount(0)

  // The same physical keys under AZERTY report `&é"'(` for the digit row; the terminal reads the key codes.
  const order = singleCod(route)
  await courier.byId('scan-input').focus()
  await courier.scan(order.barcodes[0]!, { layout: AZERTY })
  await expect(courier.byId('order-card')).toContainText(order.waybill)
  // The burst did not stay in the field that had focus.
  await expect(courier.byId('scan-input')).toHaveValue('')
  await expect(page.getByTestId('scan-refusal')).toHaveCount(0)

  const records = new BackendRecords(sandbox.dbFile)
  await expect
    .poll(() => records.refusedScans(), { timeout: 10_000 })
    .toEqual([{ code: 'JDVA0#$%^&12-1-1-', reason: 'malformed', source: 'wedge' }])
})

test('a code typed by hand is looked up too', async ({ courier, route }) => {
  const order = singleCod(route)
  await courier.type('scan-input', order.waybill.toLowerCase())
  await courier.tap('scan-submit')
  await expect(courier.byId('order-card')).toContainText(order.waybill)
})

test('a slow acquirer: waiting, then "taking longer than usual", then paid, and back at scan', async ({
  courier,
  route,
  sandbox,
}) => {
  test.setTimeout(150_000)
  await setBehaviour(sandbox.url, { notifyDelayMs: 8000 })
  const order = singleCod(route)
  await courier.scan(order.barcodes[0]!)
  await courier.tap('pay-digital')
  const payload = await courier.readPaymentQr()
  await expect(courier.byId('payment-status')).toHaveAttribute('data-state', 'waiting')
  // Ten seconds without a confirmation: the courier is told, and the terminal keeps waiting.
  await expect(courier.byId('payment-status')).toHaveAttribute('data-state', 'slow', { timeout: 15_000 })
  await expect(courier.byId('payment-qr')).toBeVisible()
  // The customer pays now; the acquirer's notification takes 8 s more, so the poll fallback finds it first.
  await payQr(sandbox.url, payload)
  await expect(courier.byId('payment-status')).toHaveAttribute('data-state', 'paid', { timeout: 20_000 })
  await expect(courier.byId('scan-ready')).toBeVisible()
  expect(courier.deliberateActions).toBe(2)

  const records = new BackendRecords(sandbox.dbFile)
  await expect.poll(() => records.payments(order.waybill), { timeout: 20_000 }).toHaveLength(1)
  await expect
    .poll(() => records.events(order.waybill).filter((e) => e.type === 'payment.confirmed').length, {
      timeout: 10_000,
    })
    .toBe(1)
  const confirmed = records.events(order.waybill).find((e) => e.type === 'payment.confirmed')!
  expect(JSON.parse(confirmed.payload)).toMatchObject({ via: 'poll', amountFen: order.codFen })
  // The late notification, when it comes, changes nothing on the device.
  await courier.page.waitForTimeout(9000)
  expect(records.events(order.waybill).filter((e) => e.type === 'payment.confirmed')).toHaveLength(1)
  expect(records.payments(order.waybill)).toHaveLength(1)
})

/**
 * The courier shows the order's QR, loses coverage and takes cash instead; the customer, who had the QR, pays it
 * anyway over their own connection. Coverage stays off.
 */
async function cashOfflineThenLatePayment(
  courier: Courier,
  link: CoverageLink,
  sandboxUrl: string,
  order: DemoOrder,
): Promise<void> {
  await courier.scan(order.barcodes[0]!)
  await courier.tap('pay-digital')
  const payload = await courier.readPaymentQr()
  link.setMode('offline')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'no', { timeout: 15_000 })
  await courier.tap('pay-cash')
  await expect(courier.byId('cash-notice')).toBeVisible()
  await courier.tap('cash-confirm')
  await expect(courier.byId('delivery-done')).toContainText(order.waybill)
  await expect(courier.byId('delivery-done')).toContainText(formatFen(order.codFen))
  await payQr(sandboxUrl, payload)
}

test('switching to cash without coverage, then a late digital payment: shown and flagged, never lost', async ({
  courier,
  route,
  sandbox,
  link,
}) => {
  test.setTimeout(150_000)
  const order = singleCod(route)
  await cashOfflineThenLatePayment(courier, link, sandbox.url, order)
  link.setMode('online')

  await expect(courier.byId('payment-flag')).toBeVisible({ timeout: 30_000 })
  await expect(courier.byId('payment-flag')).toHaveAttribute('data-kind', 'late_payment_after_cash')
  await expect(courier.byId('payment-flag')).toContainText(order.waybill)
  await expect(courier.byId('payment-flag')).toContainText(formatFen(order.codFen))
  await courier.byId('flag-dismiss').click()

  const records = new BackendRecords(sandbox.dbFile)
  await expect
    .poll(() => records.flags(order.waybill), { timeout: 15_000 })
    .toEqual([{ kind: 'late_payment_after_cash', amount_fen: order.codFen }])
  expect(records.payments(order.waybill)).toHaveLength(1)
  expect(records.order(order.waybill)).toMatchObject({ delivered_method: 'cash', collected_cash_fen: order.codFen })

  await courier.byId('tab-shift').click()
  await expect(courier.byId('shift-flags')).toContainText(order.waybill)
})

test('a refund flag waits while a collection QR is on screen, and shows once the QR is gone', async ({
  courier,
  route,
  sandbox,
  link,
}) => {
  test.setTimeout(150_000)
  const first = singleCod(route)
  const second = singleCod(route, 1)
  await cashOfflineThenLatePayment(courier, link, sandbox.url, first)

  // At the next door, still without coverage, the courier shows a QR; coverage returns while it is on screen and
  // the flag for the first parcel arrives. The customer is scanning: the flag waits.
  await courier.scan(second.barcodes[0]!)
  await courier.tap('pay-digital')
  const payload = await courier.readPaymentQr()
  link.setMode('online')
  await expect(courier.byId('round-screen')).toHaveAttribute('data-flags-waiting', '1', { timeout: 30_000 })
  await expect(courier.byId('payment-flag')).toBeHidden()
  expect(await courier.readPaymentQr()).toBe(payload)

  await payQr(sandbox.url, payload)
  await expect(courier.byId('payment-flag')).toBeVisible({ timeout: 30_000 })
  await expect(courier.byId('delivery-done')).toContainText(second.waybill)
  await expect(courier.byId('payment-flag')).toHaveAttribute('data-kind', 'late_payment_after_cash')
  await expect(courier.byId('payment-flag')).toContainText(first.waybill)
  await courier.byId('flag-dismiss').click()
  await expect(courier.byId('round-screen')).toHaveAttribute('data-flags-waiting', '0')
})
