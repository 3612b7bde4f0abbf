import { formatFen } from '../shared/money'
import { BackendRecords } from './support/backend-records'
import { pickOrder, type DemoOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { payQr } from './support/sandbox'
import { shotBoth } from './support/screens'

/**
 * Issue 10: money lands only on the parcel in the courier's hand, on the paths a courier really takes. One test
 * per point, through the real renderer, the browser host and the backend, each with screenshots in both languages.
 */

const codOrders = (route: DemoOrder[]): DemoOrder[] => route.filter((o) => o.codFen > 0 && o.barcodes.length === 1)

test('1. after a refusal nothing of the previous order can be acted on until it is scanned again', async ({
  courier,
  route,
  fieldTerminal,
  page,
}) => {
  const [order] = codOrders(route)
  await courier.scan(order!.barcodes[0]!)
  await expect(courier.byId('pay-digital')).toBeEnabled()
  await courier.scan('JDXX99999999999-1-1-')
  await expect(courier.byId('scan-refusal')).toHaveAttribute('data-reason', 'not_on_manifest')
  // The card and its pay buttons are gone with the refusal: no tap can charge this order now.
  await expect(courier.byId('order-card')).toHaveCount(0)
  await expect(courier.byId('pay-digital')).toHaveCount(0)
  await expect(courier.byId('pay-cash')).toHaveCount(0)
  await shotBoth(page, fieldTerminal.url, 'refusal-lets-go', { targets: true })
  await courier.scan(order!.barcodes[0]!)
  await expect(courier.byId('order-card')).toHaveAttribute('data-order-id', /^ord_/)
  await expect(courier.byId('pay-digital')).toBeEnabled()
})

test('2. a prepaid scan is one action, with an undo that one tap uses', async ({
  courier,
  route,
  sandbox,
  fieldTerminal,
  page,
}) => {
  const prepaid = pickOrder(route, 'prepaid order', (o) => o.codFen === 0 && o.barcodes.length === 1)
  await courier.scan(prepaid.barcodes[0]!)
  await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'prepaid')
  await expect(courier.byId('delivery-undo')).toBeVisible()
  expect(courier.deliberateActions).toBe(1)
  await shotBoth(page, fieldTerminal.url, 'prepaid-undo', { targets: true })

  // A check-scan in the van: undone, the order is open again, and the backend has it open too.
  await courier.tap('delivery-undo')
  await expect(courier.byId('order-card')).toHaveAttribute('data-status', 'pending')
  await expect(courier.byId('deliver-prepaid')).toBeVisible()
  const records = new BackendRecords(sandbox.dbFile)
  await expect.poll(() => records.order(prepaid.waybill)?.status, { timeout: 10_000 }).toBe('pending')
  await expect.poll(() => records.attempts(prepaid.waybill), { timeout: 10_000 }).toEqual([])
  expect(records.events(prepaid.waybill).map((e) => [e.type, e.status])).toEqual(
    expect.arrayContaining([
      ['delivery.completed', 'applied'],
      ['delivery.undone', 'applied'],
    ]),
  )
  await shotBoth(page, fieldTerminal.url, 'prepaid-undone', { targets: true })

  // At the door: one tap hands it over, and the next scan ends the window at once.
  await courier.tap('deliver-prepaid')
  await expect(courier.byId('delivery-undo')).toBeVisible()
  const [next] = codOrders(route)
  await courier.scan(next!.barcodes[0]!)
  await expect(courier.byId('order-card')).toBeVisible()
  await expect(courier.byId('delivery-undo')).toHaveCount(0)
  await expect
    .poll(() => records.attempts(prepaid.waybill), { timeout: 10_000 })
    .toEqual([{ outcome: 'delivered', method: 'prepaid', collected_fen: 0, failure_reason: null }])
})

test('3. a stray scan during a collection asks keep or switch, and never cancels the QR', async ({
  courier,
  route,
  sandbox,
  fieldTerminal,
  page,
}) => {
  const [first, second] = codOrders(route)
  await courier.scan(first!.barcodes[0]!)
  await courier.tap('pay-digital')
  const qr = await courier.readPaymentQr()
  await courier.scan(second!.barcodes[0]!)
  const question = courier.byId('scan-conflict')
  await expect(question).toBeVisible()
  await expect(question).toHaveAttribute('data-collecting', 'qr')
  await expect(courier.byId('payment-qr')).toBeVisible()
  await shotBoth(page, fieldTerminal.url, 'scan-conflict', { targets: true })

  await courier.tap('scan-conflict-keep')
  await expect(question).toHaveCount(0)
  await expect(courier.byId('payment-qr')).toBeVisible()

  // Asked again, the courier switches: the new parcel's card, and the first QR still payable.
  await courier.scan(second!.barcodes[0]!)
  await courier.tap('scan-conflict-switch')
  await expect(courier.byId('order-card')).toContainText(second!.waybill)
  const records = new BackendRecords(sandbox.dbFile)
  await expect
    .poll(() => records.refusedScans().map((r) => r.reason), { timeout: 10_000 })
    .toContain('collection_in_progress')
  expect(records.events(first!.waybill).filter((e) => e.type === 'intent.cancelled')).toEqual([])
  await payQr(sandbox.url, qr)
  // Point 4 as well: the first order completes, and the courier is told.
  const banner = courier.byId('completion-banner')
  await expect(banner).toHaveAttribute('data-waybill', first!.waybill, { timeout: 10_000 })
  await expect(courier.byId('order-card')).toContainText(second!.waybill)
})

test('4. a payment that lands after the courier moved on is announced with its waybill and amount', async ({
  courier,
  route,
  sandbox,
  fieldTerminal,
  page,
}) => {
  const [first, second, third] = codOrders(route)
  await courier.scan(first!.barcodes[0]!)
  await courier.tap('pay-digital')
  const qr = await courier.readPaymentQr()
  await courier.tap('payment-back')
  await courier.scan(second!.barcodes[0]!)
  await expect(courier.byId('order-card')).toContainText(second!.waybill)
  await payQr(sandbox.url, qr)
  const banner = courier.byId('completion-banner')
  await expect(banner).toHaveAttribute('data-waybill', first!.waybill, { timeout: 10_000 })
  await expect(banner).toHaveAttribute('data-amount-fen', String(first!.codFen))
  await expect(banner).toContainText(formatFen(first!.codFen))
  // It stays while the courier carries on with the parcel in hand.
  await courier.scan(third!.barcodes[0]!)
  await expect(banner).toHaveAttribute('data-waybill', first!.waybill)
  await shotBoth(page, fieldTerminal.url, 'completion-banner', { targets: true })
  await courier.tap('completion-dismiss')
  await expect(banner).toHaveCount(0)
})

test('5. ending the shift with stops left needs a confirmation that says what is open', async ({
  courier,
  route,
  link,
  fieldTerminal,
  page,
}) => {
  const [order] = codOrders(route)
  await courier.scan(order!.barcodes[0]!)
  await courier.tap('pay-cash')
  await courier.tap('cash-confirm')
  link.setMode('offline')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'no', { timeout: 15_000 })
  const [, failing] = codOrders(route)
  await courier.scan(failing!.barcodes[0]!)
  await courier.tap('pay-failed')
  await courier.tap('fail-not_home')
  await courier.byId('tab-shift').click()
  await courier.tap('shift-close')
  const confirm = courier.byId('shift-end-confirm')
  await expect(confirm).toBeVisible()
  const stops = new Set(route.map((o) => o.stop)).size
  await expect(confirm).toHaveAttribute('data-stops-left', String(stops - 2))
  await expect(confirm).toHaveAttribute('data-cash-undeclared-fen', String(order!.codFen))
  await expect(courier.byId('shift-end-unsent')).toBeVisible()
  await confirm.scrollIntoViewIfNeeded()
  await shotBoth(page, fieldTerminal.url, 'shift-end-confirm', { targets: true })
  await courier.tap('shift-close-wait')
  await expect(confirm).toHaveCount(0)
  await expect(courier.byId('shift-screen')).toBeVisible()
  await courier.tap('shift-close')
  await courier.tap('shift-close-force')
  await expect(courier.byId('login-screen')).toBeVisible()
})

test('8. cash and a failure can be undone for a few seconds; the next scan makes them final', async ({
  courier,
  route,
  sandbox,
  fieldTerminal,
  page,
}) => {
  const [cash, failed, next] = codOrders(route)
  await courier.scan(cash!.barcodes[0]!)
  await courier.tap('pay-cash')
  await courier.tap('cash-confirm')
  await expect(courier.byId('delivery-undo')).toBeVisible()
  await shotBoth(page, fieldTerminal.url, 'cash-undo', { targets: true })
  await courier.tap('delivery-undo')
  await expect(courier.byId('order-card')).toContainText(cash!.waybill)
  await expect(courier.byId('pay-cash')).toBeEnabled()

  await courier.scan(failed!.barcodes[0]!)
  await courier.tap('pay-failed')
  await courier.tap('fail-refused')
  await courier.tap('delivery-undo')
  await expect(courier.byId('order-card')).toContainText(failed!.waybill)

  // The courier fails it again and moves on: the scan ends the window, the failure is final.
  await courier.tap('pay-failed')
  await courier.tap('fail-not_home')
  await courier.scan(next!.barcodes[0]!)
  await expect(courier.byId('delivery-undo')).toHaveCount(0)
  const records = new BackendRecords(sandbox.dbFile)
  await expect
    .poll(() => records.attempts(failed!.waybill), { timeout: 10_000 })
    .toEqual([{ outcome: 'failed', method: null, collected_fen: 0, failure_reason: 'not_home' }])
  await expect.poll(() => records.order(cash!.waybill)?.status, { timeout: 10_000 }).toBe('pending')
})
