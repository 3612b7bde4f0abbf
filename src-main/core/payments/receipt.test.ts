import { generateKeyPairSync } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import type { ScanOutcome } from '../../../shared/ipc/contract'
import { base64UrlDecode, base64UrlEncode } from '../../../shared/receipt'
import { eventsOf, outboxOf, queryDevice, startTestDevice, until, type TestDevice } from '../testing/device'

const devices: TestDevice[] = []
async function device(): Promise<TestDevice> {
  const created = await startTestDevice()
  devices.push(created)
  return created
}
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close()
})

const ORDER = 'ord_test0001'
const INTENT = 'pi_test0001'

/** The courier at the door of order 1 with its QR up, and no coverage at all. */
async function atPaymentScreenOffline(d: TestDevice): Promise<void> {
  await d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })
  await d.core.handlers.showPaymentQr({ orderId: ORDER })
  await d.backend.close()
}

/** The same token with its claims edited and the original signature kept, as a forger would. */
function tamper(token: string, edit: (claims: Record<string, unknown>) => void): string {
  const [prefix, claims, signature] = token.split('.')
  const decoded = JSON.parse(new TextDecoder().decode(base64UrlDecode(claims!))) as Record<string, unknown>
  edit(decoded)
  return `${prefix}.${base64UrlEncode(new TextEncoder().encode(JSON.stringify(decoded)))}.${signature}`
}

function expectReceipt(outcome: ScanOutcome): Extract<ScanOutcome, { outcome: 'receipt' }> {
  expect(outcome.outcome).toBe('receipt')
  return outcome as Extract<ScanOutcome, { outcome: 'receipt' }>
}

describe('receipt QR', () => {
  it('completes the delivery as "paid, receipt verified" with no coverage, and sends the receipt on sync', async () => {
    const d = await device()
    await atPaymentScreenOffline(d)
    const paid = d.backend.pay(INTENT)
    const token = d.backend.receipt(INTENT)
    const outcome = expectReceipt(await d.core.handlers.scanBarcode({ code: token, source: 'camera' }))
    expect(outcome).toMatchObject({
      completed: true,
      alreadyKnown: false,
      flag: null,
      order: { status: 'delivered', method: 'digital', collectedFen: 6660 },
      payment: { status: 'paid', confirmation: 'receipt', transactionId: paid.transactionId, paidFen: 6660 },
    })
    const [confirmed, completed] = outboxOf(d).slice(-2)
    expect(confirmed).toMatchObject({
      type: 'payment.confirmed',
      payload: { via: 'receipt', receipt: token, amountFen: 6660, transactionId: paid.transactionId },
    })
    // When the customer paid is the acquirer's signed statement; when the courier scanned it is the event's time.
    expect(confirmed!.payload).toMatchObject({ paidAt: paid.paidAt })
    expect(Date.parse(confirmed!.occurredAt)).toBeGreaterThanOrEqual(Date.parse(paid.paidAt!))
    expect(completed).toMatchObject({ type: 'delivery.completed', payload: { method: 'digital', intentId: INTENT } })
    expect(eventsOf(d, 'paymentUpdated').at(-1)).toMatchObject({ completed: true })

    await d.backend.resume()
    await until(() => d.backend.applied.some((e) => e.type === 'payment.confirmed'), 'the sync', 8000)
    expect(d.backend.applied.find((e) => e.type === 'payment.confirmed')).toMatchObject({
      payload: { via: 'receipt', receipt: token },
    })
  })

  it('is accepted at the scan prompt too, finding the order from the receipt', async () => {
    const d = await device()
    await d.backend.close()
    d.backend.pay('pi_test0004')
    const outcome = expectReceipt(
      await d.core.handlers.scanBarcode({ code: d.backend.receipt('pi_test0004'), source: 'wedge' }),
    )
    expect(outcome).toMatchObject({ completed: true, order: { orderId: 'ord_test0004', status: 'delivered' } })
  })

  it('tells the courier the payment was known already, and records nothing twice', async () => {
    const d = await device()
    await atPaymentScreenOffline(d)
    d.backend.pay(INTENT)
    const token = d.backend.receipt(INTENT)
    await d.core.handlers.scanBarcode({ code: token, source: 'camera' })
    const before = outboxOf(d).length
    const again = expectReceipt(await d.core.handlers.scanBarcode({ code: token, source: 'camera' }))
    expect(again).toMatchObject({ alreadyKnown: true, completed: false })
    expect(outboxOf(d)).toHaveLength(before)
  })

  it('keeps and flags a valid receipt for an order the courier already closed with cash', async () => {
    const d = await device()
    await atPaymentScreenOffline(d)
    await d.core.handlers.startCash({ orderId: ORDER })
    await d.core.handlers.recordCash({ orderId: ORDER, takenFen: 6660 })
    d.backend.pay(INTENT)
    const outcome = expectReceipt(
      await d.core.handlers.scanBarcode({ code: d.backend.receipt(INTENT), source: 'camera' }),
    )
    expect(outcome).toMatchObject({
      completed: false,
      flag: { kind: 'late_payment_after_cash', amountFen: 6660 },
      order: { method: 'cash' },
    })
    expect((await d.core.handlers.getAttention({})).flags).toEqual([
      expect.objectContaining({ orderId: ORDER, kind: 'late_payment_after_cash' }),
    ])
  })

  it('checks a receipt against the order in hand, which the core knows, not the screen', async () => {
    const d = await device()
    await atPaymentScreenOffline(d)
    d.backend.pay('pi_test0004')
    const outcome = await d.core.handlers.scanBarcode({ code: d.backend.receipt('pi_test0004'), source: 'camera' })
    expect(outcome).toMatchObject({ outcome: 'refused', reason: 'receipt_other_intent', waybill: 'JDVA00000000001' })
    expect((await d.core.handlers.getOrder({ orderId: 'ord_test0004' })).status).toBe('pending')
    // The refusal does not drop the QR the customer may be paying.
    expect(await d.core.handlers.getDoorstep({})).toMatchObject({ collecting: 'qr', order: { orderId: ORDER } })
  })

  describe('refuses, says which, and changes nothing but the log', () => {
    const cases: [string, (d: TestDevice) => string, string, string | undefined][] = [
      ['a malformed token', () => 'TTR1.not-a-receipt', 'receipt_malformed', ORDER],
      ['a token cut short', (d) => d.backend.receipt(INTENT).slice(0, -10), 'receipt_malformed', ORDER],
      [
        'an amount edited after signing',
        (d) => tamper(d.backend.receipt(INTENT), (c) => (c.a = 660)),
        'receipt_bad_signature',
        ORDER,
      ],
      [
        'an intent edited after signing',
        (d) => tamper(d.backend.receipt('pi_test0004'), (c) => (c.i = INTENT)),
        'receipt_bad_signature',
        ORDER,
      ],
      [
        'a receipt signed by someone else',
        (d) => d.backend.receipt(INTENT, {}, generateKeyPairSync('ed25519').privateKey),
        'receipt_bad_signature',
        ORDER,
      ],
      ['a receipt for another order', (d) => d.backend.receipt('pi_test0004'), 'receipt_other_intent', ORDER],
      [
        'a receipt for an intent on no manifest',
        (d) => d.backend.receipt('pi_elsewhere'),
        'receipt_unknown_intent',
        undefined,
      ],
      [
        'a receipt for another amount',
        (d) => d.backend.receipt(INTENT, { amountFen: 6600 }),
        'receipt_wrong_amount',
        ORDER,
      ],
    ]
    it.each(cases)('%s', async (_what, token, reason, orderId) => {
      const d = await device()
      // With an order in hand the receipt must be for it; at the scan prompt it must be for one on the manifest.
      if (orderId) await atPaymentScreenOffline(d)
      else await d.backend.close()
      d.backend.pay(INTENT)
      const code = token(d)
      const outboxBefore = outboxOf(d)
      const routeBefore = await d.core.handlers.getRoute({})
      const orderBefore = await d.core.handlers.getOrder({ orderId: ORDER })
      const outcome = await d.core.handlers.scanBarcode({ code, source: 'wedge' })
      expect(outcome).toMatchObject({ outcome: 'refused', reason, code: code.slice(0, 64) })
      if (orderId) expect(outcome).toMatchObject({ waybill: 'JDVA00000000001' })
      expect(await d.core.handlers.getOrder({ orderId: ORDER })).toEqual(orderBefore)
      expect(await d.core.handlers.getRoute({})).toEqual(routeBefore)
      // Only the refused scan is logged, as for any code that is refused.
      const after = outboxOf(d)
      expect(after.slice(0, outboxBefore.length)).toEqual(outboxBefore)
      expect(after.slice(outboxBefore.length)).toEqual([
        expect.objectContaining({
          type: 'scan.refused',
          payload: { code: code.slice(0, 64), reason, source: 'wedge' },
        }),
      ])
      expect(queryDevice(d, 'SELECT status, paid_at FROM intents WHERE intent_id = ?', [INTENT])).toEqual([
        { status: 'pending', paid_at: null },
      ])
    })
  })
})
