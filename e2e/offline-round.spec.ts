import { formatFen } from '../shared/money'
import { BackendRecords } from './support/backend-records'
import type { Courier } from './support/courier'
import { DeviceRecords } from './support/device-records'
import type { DemoOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { payQr } from './support/sandbox'

/**
 * A round of 20 stops with no coverage from stop 5 to stop 15 (the terminal's link to the backend is cut below
 * HTTP, stream included), the way a courier works through a basement estate: digital payments are confirmed by
 * the customer's receipt QR, one is recorded "paid, to be verified", and cash, failures and prepaid orders go
 * on as usual. When coverage returns, everything reaches the backend exactly once and the totals agree.
 */

async function scanParcels(courier: Courier, order: DemoOrder): Promise<void> {
  for (const barcode of order.barcodes) await courier.scan(barcode)
  await expect(courier.byId('order-card')).toHaveAttribute('data-ready', 'yes')
}

async function expectDone(courier: Courier, order: DemoOrder, method: string, confirmation = 'none'): Promise<void> {
  const done = courier.byId('delivery-done')
  await expect(done).toContainText(order.waybill)
  await expect(done).toHaveAttribute('data-method', method)
  await expect(done).toHaveAttribute('data-confirmation', confirmation)
  // A prepaid order stays on screen as delivered; every other one returns to the scan prompt.
  if (method !== 'prepaid') await expect(courier.byId('scan-ready')).toBeVisible()
}

async function prepaid(courier: Courier, order: DemoOrder): Promise<void> {
  for (const barcode of order.barcodes) await courier.scan(barcode)
  await expectDone(courier, order, 'prepaid')
}

async function cash(courier: Courier, order: DemoOrder): Promise<void> {
  await scanParcels(courier, order)
  await courier.tap('pay-cash')
  await courier.tap('cash-confirm')
  await expectDone(courier, order, 'cash')
}

async function failed(courier: Courier, order: DemoOrder, reason: string): Promise<void> {
  await scanParcels(courier, order)
  await courier.tap('pay-failed')
  await courier.tap(`fail-${reason}`)
  await expect(courier.byId('delivery-done')).toBeVisible()
  await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'failed')
}

/** Shows the QR and has the customer pay it from their own phone; returns the receipt their wallet shows. */
async function showQrAndPay(courier: Courier, sandboxUrl: string, order: DemoOrder): Promise<string> {
  await scanParcels(courier, order)
  await courier.tap('pay-digital')
  await expect(courier.byId('payment-status')).toHaveAttribute('data-state', /waiting|slow/)
  const paid = await payQr(sandboxUrl, await courier.readPaymentQr())
  expect(paid.amountFen).toBe(order.codFen)
  return paid.receiptToken
}

async function digitalOnline(courier: Courier, sandboxUrl: string, order: DemoOrder): Promise<void> {
  await showQrAndPay(courier, sandboxUrl, order)
  await expectDone(courier, order, 'digital', 'acquirer')
}

async function digitalByReceipt(courier: Courier, sandboxUrl: string, order: DemoOrder): Promise<string> {
  const receipt = await showQrAndPay(courier, sandboxUrl, order)
  await expect(courier.byId('receipt-panel')).toBeVisible()
  await courier.scan(receipt)
  await expect(courier.byId('payment-status')).toHaveAttribute('data-confirmation', 'receipt')
  await expectDone(courier, order, 'digital', 'receipt')
  return receipt
}

test('20 stops with coverage cut from stop 5 to 15: receipts, one "to be verified", and everything synced once', async ({
  courier,
  route,
  sandbox,
  link,
  fieldTerminal,
}) => {
  test.setTimeout(240_000)
  const at = (stop: number): DemoOrder[] => route.filter((o) => o.stop === stop)
  const records = new BackendRecords(sandbox.dbFile)
  const device = new DeviceRecords(fieldTerminal.dir)
  const expected = { delivered: 0, failed: 0, digitalFen: 0, cashFen: 0 }
  const delivered = (order: DemoOrder, method: 'digital' | 'cash' | 'prepaid'): void => {
    expected.delivered++
    if (method === 'digital') expected.digitalFen += order.codFen
    if (method === 'cash') expected.cashFen += order.codFen
  }
  const handled: { order: DemoOrder; outcome: 'digital' | 'cash' | 'prepaid' | 'failed' }[] = []
  const note = (order: DemoOrder, outcome: 'digital' | 'cash' | 'prepaid' | 'failed'): void => {
    handled.push({ order, outcome })
    if (outcome === 'failed') expected.failed++
    else delivered(order, outcome)
  }
  const status = courier.byId('sync-status')
  await expect(status).toHaveAttribute('data-online', 'yes', { timeout: 15_000 })

  // Stops 1–4, with coverage: the acquirer's confirmation arrives by push.
  const [s1] = at(1)
  await digitalOnline(courier, sandbox.url, s1!)
  note(s1!, 'digital')
  for (const order of at(2)) {
    await prepaid(courier, order)
    note(order, 'prepaid')
  }
  for (const order of at(3)) {
    await cash(courier, order)
    note(order, 'cash')
  }
  for (const order of at(4)) {
    await failed(courier, order, 'not_home')
    note(order, 'failed')
  }
  await expect(status).toHaveAttribute('data-pending', '0', { timeout: 15_000 })
  const deviceId = device.deviceId()
  const seqAtCut = device.lastSeq()
  expect(records.ackedSeq(deviceId)).toBe(seqAtCut)

  // Stop 5: into the basement.
  link.setMode('offline')
  const cutAt = Date.now()
  await expect(status).toHaveAttribute('data-online', 'no', { timeout: 15_000 })

  for (const order of [...at(5), ...at(6)]) {
    await prepaid(courier, order)
    note(order, 'prepaid')
  }
  const receipts = new Map<string, string>()
  for (const order of at(7)) {
    receipts.set(order.waybill, await digitalByReceipt(courier, sandbox.url, order))
    note(order, 'digital')
  }
  // Stop 8: ¥1,299.00 is over the per-order limit for "to be verified"; the receipt settles it.
  const [big] = at(8)
  expect(big!.codFen).toBeGreaterThan(50_000)
  const bigReceipt = await showQrAndPay(courier, sandbox.url, big!)
  await expect(courier.byId('unverified-limits')).toContainText(formatFen(50_000))
  await expect(courier.byId('unverified-limits')).toContainText(formatFen(200_000))
  await expect(courier.byId('unverified-blocked')).toContainText(formatFen(50_000))
  await expect(courier.byId('pay-unverified')).toHaveCount(0)
  await courier.scan(bigReceipt)
  await expectDone(courier, big!, 'digital', 'receipt')
  note(big!, 'digital')
  for (const order of at(9)) {
    await prepaid(courier, order)
    note(order, 'prepaid')
  }
  // Stop 10: the customer paid, but their phone died before showing the receipt: "paid, to be verified".
  const [unverified] = at(10)
  await showQrAndPay(courier, sandbox.url, unverified!)
  await expect(courier.byId('unverified-limits')).toContainText(formatFen(200_000))
  await courier.tap('pay-unverified')
  await courier.tap('unverified-confirm-yes')
  await expect(courier.byId('payment-status')).toHaveAttribute('data-state', 'unverified')
  await expectDone(courier, unverified!, 'digital', 'unverified')
  note(unverified!, 'digital')
  for (const order of [...at(11), ...at(12)]) {
    await prepaid(courier, order)
    note(order, 'prepaid')
  }
  // Stop 13: the customer first shows an old receipt (stop 7's): refused, nothing changes; then the right one.
  const [s13] = at(13)
  const rightReceipt = await showQrAndPay(courier, sandbox.url, s13!)
  await courier.scan(receipts.get(at(7)[0]!.waybill)!)
  await expect(courier.byId('scan-refusal')).toHaveAttribute('data-reason', 'receipt_other_intent')
  await expect(courier.byId('payment-status')).toHaveAttribute('data-state', /waiting|slow/)
  await courier.scan(rightReceipt)
  await expectDone(courier, s13!, 'digital', 'receipt')
  note(s13!, 'digital')
  const [s14a, s14b] = at(14)
  await cash(courier, s14a!)
  note(s14a!, 'cash')
  await failed(courier, s14b!, 'refused')
  note(s14b!, 'failed')
  for (const order of at(15)) {
    expect(order.barcodes.length).toBeGreaterThan(1)
    await digitalByReceipt(courier, sandbox.url, order)
    note(order, 'digital')
  }
  // Nothing got through while the link was cut: every event since is waiting on the terminal.
  await expect(status).toHaveAttribute('data-online', 'no')
  const seqAtReturn = device.lastSeq()
  expect(seqAtReturn - seqAtCut).toBeGreaterThan(20)
  await expect(status).toHaveAttribute('data-pending', String(seqAtReturn - seqAtCut))
  expect(records.ackedSeq(deviceId)).toBe(seqAtCut)

  // Stop 16: out of the basement.
  link.setMode('online')
  const backAt = Date.now()
  await expect(status).toHaveAttribute('data-online', 'yes', { timeout: 20_000 })
  for (const order of at(16)) {
    await digitalOnline(courier, sandbox.url, order)
    note(order, 'digital')
  }
  for (const order of at(17)) {
    await cash(courier, order)
    note(order, 'cash')
  }
  for (const order of [...at(18), ...at(19), ...at(20)]) {
    await prepaid(courier, order)
    note(order, 'prepaid')
  }
  await expect(status).toHaveAttribute('data-pending', '0', { timeout: 30_000 })

  // Everything the terminal recorded reached the backend exactly once, in order, with the courier's times.
  const outbox = device.outbox()
  expect(outbox.filter((e) => e.state !== 'acked')).toEqual([])
  expect(outbox.map((e) => e.seq)).toEqual(Array.from({ length: device.lastSeq() }, (_, i) => i + 1))
  const applied = records.deviceEvents(deviceId)
  expect(applied.map((e) => [e.seq, e.eventId, e.type, e.occurredAt])).toEqual(
    outbox.map((e) => [e.seq, e.eventId, e.type, e.occurredAt]),
  )
  expect(applied.filter((e) => e.status !== 'applied')).toEqual([])
  // What the courier did in the basement carries the time they did it, though the backend heard of it later.
  const offline = applied.filter((e) => e.seq > seqAtCut && e.seq <= seqAtReturn)
  expect(offline).toHaveLength(seqAtReturn - seqAtCut)
  for (const event of offline) {
    expect(Date.parse(event.occurredAt), `${event.seq} ${event.type}`).toBeGreaterThanOrEqual(cutAt)
    expect(Date.parse(event.occurredAt), `${event.seq} ${event.type}`).toBeLessThan(backAt)
    expect(event.receivedMs, `${event.seq} ${event.type}`).toBeGreaterThanOrEqual(backAt)
  }

  for (const { order, outcome } of handled) {
    const attempts = records.attempts(order.waybill)
    expect(attempts, order.waybill).toHaveLength(1)
    expect(attempts[0]!.outcome, order.waybill).toBe(outcome === 'failed' ? 'failed' : 'delivered')
    if (outcome !== 'failed') expect(attempts[0]!.method, order.waybill).toBe(outcome)
    const payments = records.payments(order.waybill)
    expect(payments, order.waybill).toEqual(
      outcome === 'digital' ? [{ amount_fen: order.codFen, outcome: 'succeeded' }] : [],
    )
    expect(records.flags(order.waybill), order.waybill).toEqual([])
  }
  expect(handled).toHaveLength(route.filter((o) => o.stop <= 20).length)

  // The "to be verified" payment was settled against the acquirer, and the terminal shows the verdict.
  await expect
    .poll(() => records.settlements(unverified!.waybill), { timeout: 15_000 })
    .toEqual([{ kind: 'unverified', status: 'verified', claimed_fen: unverified!.codFen }])
  await courier.byId('sync-chip').click()
  const item = courier.byId('attention-unverified')
  await expect(item).toHaveAttribute('data-settlement', 'verified', { timeout: 15_000 })
  await expect(item).toContainText(unverified!.waybill)
  await expect(courier.byId('sync-reached')).toBeVisible()
  await expect(status).toHaveAttribute('data-attention', '0')
  await courier.byId('sync-close').click()
  await expect(courier.byId('sync-details')).toBeHidden()

  // The backend's totals equal the terminal's, and both equal what the courier did.
  await courier.byId('tab-shift').click()
  const totals = courier.byId('shift-totals')
  await expect(totals).toHaveAttribute('data-pending-events', '0')
  await expect(totals).toHaveAttribute('data-delivered', String(expected.delivered))
  await expect(totals).toHaveAttribute('data-failed', String(expected.failed))
  await expect(totals).toHaveAttribute('data-digital-fen', String(expected.digitalFen))
  await expect(totals).toHaveAttribute('data-cash-fen', String(expected.cashFen))
  expect(records.totals('SZ1001')).toEqual(expected)
  await expect(courier.byId('shift-cash-to-hand-in')).toHaveText(formatFen(expected.cashFen))
  await expect(courier.byId('shift-unverified')).toHaveAttribute('data-used-fen', String(unverified!.codFen))
})
