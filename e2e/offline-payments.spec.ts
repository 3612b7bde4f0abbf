import { base64UrlDecode, base64UrlEncode } from '../shared/receipt'
import { BackendRecords } from './support/backend-records'
import type { Courier } from './support/courier'
import { DeviceRecords } from './support/device-records'
import type { DemoOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { payQr } from './support/sandbox'

const codOrders = (route: DemoOrder[]): DemoOrder[] =>
  route.filter((o) => o.codFen > 0 && o.codFen <= 50_000 && o.barcodes.length === 1)

async function qrUp(courier: Courier, order: DemoOrder): Promise<void> {
  await courier.scan(order.barcodes[0]!)
  await courier.tap('pay-digital')
  await expect(courier.byId('payment-status')).toHaveAttribute('data-state', /waiting|slow/)
}

/** The token with its amount edited and the acquirer's signature kept, as someone editing a screenshot would. */
function withAmount(token: string, amountFen: number): string {
  const [prefix, claims, signature] = token.split('.')
  const decoded = JSON.parse(new TextDecoder().decode(base64UrlDecode(claims!))) as Record<string, unknown>
  decoded.a = amountFen
  return `${prefix}.${base64UrlEncode(new TextEncoder().encode(JSON.stringify(decoded)))}.${signature}`
}

test('an unverified payment the acquirer never saw is flagged on the terminal and for the depot', async ({
  courier,
  route,
  sandbox,
  link,
}) => {
  const [order] = codOrders(route)
  link.setMode('offline')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'no', { timeout: 15_000 })
  await qrUp(courier, order!)
  // The customer says they paid; they did not.
  await courier.tap('pay-unverified')
  await expect(courier.byId('unverified-confirm')).toBeVisible()
  await courier.tap('unverified-confirm-yes')
  await expect(courier.byId('delivery-done')).toHaveAttribute('data-confirmation', 'unverified')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-attention', '1')

  link.setMode('online')
  const flag = courier.byId('payment-flag')
  await expect(flag).toHaveAttribute('data-kind', 'unverified_not_found', { timeout: 20_000 })
  await expect(flag).toContainText(order!.waybill)
  await courier.tap('flag-dismiss')
  await courier.byId('sync-chip').click()
  await expect(courier.byId('attention-unverified')).toHaveAttribute('data-settlement', 'not_found')
  await expect(courier.byId('attention-flag')).toHaveAttribute('data-kind', 'unverified_not_found')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-attention', '2')

  const records = new BackendRecords(sandbox.dbFile)
  expect(records.flags(order!.waybill)).toEqual([{ kind: 'unverified_not_found', amount_fen: order!.codFen }])
  expect(records.settlements(order!.waybill)).toEqual([
    { kind: 'unverified', status: 'not_found', claimed_fen: order!.codFen },
  ])
  expect(records.payments(order!.waybill)).toEqual([])
})

test('a malformed, a tampered and a misdirected receipt are each refused with a reason, changing nothing', async ({
  courier,
  route,
  sandbox,
  link,
  fieldTerminal,
}) => {
  const [order, other] = codOrders(route)
  // The other order's customer paid elsewhere on the route; their receipt is genuine, for another payment.
  const otherPaid = await (async () => {
    await qrUp(courier, other!)
    const paid = await payQr(sandbox.url, await courier.readPaymentQr())
    await expect(courier.byId('delivery-done')).toContainText(other!.waybill)
    return paid
  })()
  link.setMode('offline')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'no', { timeout: 15_000 })
  await qrUp(courier, order!)
  const paid = await payQr(sandbox.url, await courier.readPaymentQr())
  const device = new DeviceRecords(fieldTerminal.dir)
  const before = device.lastSeq()

  const refusal = courier.byId('scan-refusal')
  // Typed by hand, cut short.
  await courier.tap('receipt-type')
  await courier.type('receipt-input', paid.receiptToken.slice(0, 40))
  await courier.tap('receipt-submit')
  await expect(refusal).toHaveAttribute('data-reason', 'receipt_malformed')
  await expect(refusal).toContainText('付款凭证')
  // The amount edited after the acquirer signed it.
  await courier.scan(withAmount(paid.receiptToken, 1))
  await expect(refusal).toHaveAttribute('data-reason', 'receipt_bad_signature')
  await expect(refusal).toContainText('伪造')
  // Genuine, but for the other order.
  await courier.scan(otherPaid.receiptToken)
  await expect(refusal).toHaveAttribute('data-reason', 'receipt_other_intent')
  await expect(refusal).toContainText(order!.waybill)

  // Nothing moved: the QR still waits, and only the three refused scans were logged.
  await expect(courier.byId('payment-status')).toHaveAttribute('data-state', /waiting|slow/)
  await expect(courier.byId('payment-qr')).toBeVisible()
  expect(
    device
      .outbox()
      .filter((e) => e.seq > before)
      .map((e) => e.type),
  ).toEqual(['scan.refused', 'scan.refused', 'scan.refused'])

  // The genuine receipt then completes it.
  await courier.scan(paid.receiptToken)
  await expect(courier.byId('delivery-done')).toHaveAttribute('data-confirmation', 'receipt')
  link.setMode('online')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-pending', '0', { timeout: 20_000 })
  const records = new BackendRecords(sandbox.dbFile)
  expect(records.refusedScans().map((s) => s.reason)).toEqual([
    'receipt_malformed',
    'receipt_bad_signature',
    'receipt_other_intent',
  ])
  expect(records.attempts(order!.waybill)).toEqual([
    { outcome: 'delivered', method: 'digital', collected_fen: order!.codFen, failure_reason: null },
  ])
  expect(records.payments(order!.waybill)).toEqual([{ amount_fen: order!.codFen, outcome: 'succeeded' }])
})

test('a receipt scanned at the scan prompt finds its order and completes it', async ({
  courier,
  route,
  sandbox,
  link,
}) => {
  const [order] = codOrders(route)
  const prepaid = route.find((o) => o.codFen === 0 && o.barcodes.length === 1)!
  link.setMode('offline')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'no', { timeout: 15_000 })
  await qrUp(courier, order!)
  const paid = await payQr(sandbox.url, await courier.readPaymentQr())
  // The courier moved on before the customer found the receipt: another parcel, then back to the prompt.
  await courier.tap('payment-back')
  await courier.scan(prepaid.barcodes[0]!)
  await expect(courier.byId('delivery-done')).toContainText(prepaid.waybill)
  await courier.scan(paid.receiptToken)
  const done = courier.byId('delivery-done')
  await expect(done).toContainText(order!.waybill)
  await expect(done).toHaveAttribute('data-confirmation', 'receipt')
  await expect(courier.byId('scan-ready')).toBeVisible()

  link.setMode('online')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-pending', '0', { timeout: 20_000 })
  const records = new BackendRecords(sandbox.dbFile)
  expect(records.attempts(order!.waybill)).toEqual([
    { outcome: 'delivered', method: 'digital', collected_fen: order!.codFen, failure_reason: null },
  ])
  const confirmed = records.events(order!.waybill).filter((e) => e.type === 'payment.confirmed')
  expect(confirmed.map((e) => JSON.parse(e.payload) as { via: string; receipt: string })).toEqual([
    expect.objectContaining({ via: 'receipt', receipt: paid.receiptToken }),
  ])
})
