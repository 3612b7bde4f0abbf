import { decodeCollectionQr } from '../shared/emv/collection-qr'
import { crcHex } from '../shared/emv/crc'
import { formatFen } from '../shared/money'
import { BackendRecords } from './support/backend-records'
import { pickOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { payQr } from './support/sandbox'

test('a digital COD delivery takes two deliberate actions: the scan and one tap', async ({
  courier,
  route,
  sandbox,
  page,
}) => {
  const order = pickOrder(route, 'single-parcel COD order', (o) => o.codFen > 0 && o.barcodes.length === 1)

  // 1. The barcode, as a keyboard-wedge burst.
  await courier.scan(order.barcodes[0]!)
  const card = courier.byId('order-card')
  await expect(card).toBeVisible()
  await expect(card).toContainText(order.waybill)
  await expect(courier.byId('order-amount')).toContainText(formatFen(order.codFen))

  // 2. One tap on digital payment: the QR is there at once.
  await courier.tap('pay-digital')
  await expect(courier.byId('payment-qr')).toBeVisible()
  await expect(courier.byId('payment-status')).toHaveAttribute('data-state', 'waiting')
  await expect(courier.byId('payment-waybill')).toHaveText(order.waybill)

  // 3–4. The QR as the customer's camera sees it: EMVCo fields, CRC, and the order's amount.
  const payload = await courier.readPaymentQr()
  expect(payload.slice(-4)).toBe(crcHex(payload.slice(0, -4)))
  const fields = decodeCollectionQr(payload)
  expect(fields).toMatchObject({ amountFen: order.codFen, waybill: order.waybill, merchantCity: expect.any(String) })
  expect(payload.startsWith('000201010212')).toBe(true)
  expect(payload).toContain(`5303156`)
  expect(payload).toContain(`5802CN`)
  expect(payload).toContain('52044215')

  // 5. The customer pays from their own phone, through the sandbox acquirer.
  const paid = await payQr(sandbox.url, payload)
  expect(paid.amountFen).toBe(order.codFen)

  // 6. "Paid", then back at scan by itself.
  await expect(courier.byId('payment-status')).toHaveAttribute('data-state', 'paid')
  await expect(courier.byId('payment-status')).toContainText(formatFen(order.codFen))
  await expect(courier.byId('scan-ready')).toBeVisible({ timeout: 2000 })
  await expect(courier.byId('delivery-done')).toContainText(order.waybill)

  // 7. The backend recorded the delivery and the payment, once each.
  const records = new BackendRecords(sandbox.dbFile)
  await expect.poll(() => records.attempts(order.waybill), { timeout: 10_000 }).toHaveLength(1)
  expect(records.order(order.waybill)).toMatchObject({ status: 'delivered', delivered_method: 'digital' })
  expect(records.attempts(order.waybill)).toEqual([
    { outcome: 'delivered', method: 'digital', collected_fen: order.codFen, failure_reason: null },
  ])
  expect(records.payments(order.waybill)).toEqual([{ amount_fen: order.codFen, outcome: 'succeeded' }])

  expect(courier.actions).toEqual([`scan ${order.barcodes[0]}`, 'tap pay-digital'])
  expect(courier.deliberateActions).toBe(2)
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-pending', '0', { timeout: 10_000 })
})
