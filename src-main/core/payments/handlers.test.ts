import { afterEach, describe, expect, it } from 'vitest'
import { decodeCollectionQr } from '../../../shared/emv/collection-qr'
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

async function atDoor(d: TestDevice, code = 'JDVA00000000001-1-1-'): Promise<void> {
  await d.core.handlers.scanBarcode({ code, source: 'wedge' })
}

describe('digital payment', () => {
  it('finds at once that the QR going up was withdrawn at the backend, and puts a new one in its place', async () => {
    // Polls far apart: only the first, at once, can find it in time.
    const d = await startTestDevice({ sync: { paymentPollMs: 10_000, paymentPollFastMs: 10_000 } })
    devices.push(d)
    // The backend cancelled the intent (cash was taken and synced), and the device was killed before it wrote
    // the cancellation: locally the intent still looks payable.
    d.backend.intents.get('pi_test0001')!.status = 'cancelled'
    await atDoor(d)
    const shown = await d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })
    expect(shown).toMatchObject({ intentId: 'pi_test0001', status: 'pending' })
    await until(
      () =>
        eventsOf(d, 'paymentUpdated').some(
          (u) => u.payment.intentId === 'pi_test0001r' && u.payment.status === 'pending',
        ),
      'the replacement QR',
      2000,
    )
    expect(await d.core.handlers.getDoorstep({})).toMatchObject({
      collecting: 'qr',
      order: { payment: { intentId: 'pi_test0001r', status: 'pending' } },
    })
    expect(outboxOf(d).at(-1)).toMatchObject({
      type: 'payment.qr_shown',
      payload: { orderId: 'ord_test0001', intentId: 'pi_test0001r' },
    })
  })

  it('shows the QR from the manifest with no network, and records that it was shown', async () => {
    const d = await device()
    await atDoor(d)
    await d.backend.close()
    const payment = await d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })
    expect(payment).toMatchObject({
      intentId: 'pi_test0001',
      amountFen: 6660,
      status: 'pending',
      waybill: 'JDVA00000000001',
    })
    expect(decodeCollectionQr(payment.qrPayload)).toMatchObject({ amountFen: 6660, waybill: 'JDVA00000000001' })
    expect(payment.shownAt).not.toBeNull()
    expect(outboxOf(d).at(-1)).toMatchObject({
      type: 'payment.qr_shown',
      payload: { orderId: 'ord_test0001', intentId: 'pi_test0001' },
    })
  })

  it('completes the delivery by itself when the stream pushes the payment', async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the device stream')
    await atDoor(d)
    await d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })
    const paid = d.backend.pay('pi_test0001')
    const cursor = d.backend.send('payment', { ...paid, orderId: 'ord_test0001' })
    await until(() => eventsOf(d, 'paymentUpdated').some((u) => u.completed), 'the payment update')
    expect(eventsOf(d, 'paymentUpdated').at(-1)).toMatchObject({
      orderStatus: 'delivered',
      completed: true,
      payment: { status: 'paid', paidFen: 6660, transactionId: 'tx_test0001' },
    })
    const order = await d.core.handlers.getOrder({ orderId: 'ord_test0001' })
    expect(order).toMatchObject({ status: 'delivered', method: 'digital', collectedFen: 6660 })
    const types = outboxOf(d).map((e) => e.type)
    expect(types.slice(-2)).toEqual(['payment.confirmed', 'delivery.completed'])
    expect(outboxOf(d).at(-2)).toMatchObject({ payload: { via: 'push', amountFen: 6660 } })
    expect(queryDevice(d, `SELECT value FROM sync_state WHERE key = 'stream_cursor'`)).toEqual([
      { value: String(cursor) },
    ])
  })

  it('falls back to polling when no push arrives, and records the payment once', async () => {
    const d = await device()
    await atDoor(d)
    await d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })
    d.backend.pay('pi_test0001')
    await until(() => eventsOf(d, 'paymentUpdated').some((u) => u.completed), 'the poll to find the payment')
    // The stream now reports the same payment: nothing more is recorded.
    d.backend.send('payment', { ...d.backend.intents.get('pi_test0001')!, orderId: 'ord_test0001' })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const confirmed = outboxOf(d).filter((e) => e.type === 'payment.confirmed')
    expect(confirmed).toHaveLength(1)
    expect(confirmed[0]).toMatchObject({ payload: { via: 'poll' } })
  })

  it('renews an expired intent when online, with a new QR', async () => {
    let now = Date.now()
    const d = await startTestDevice({ now: () => new Date(now) })
    devices.push(d)
    await atDoor(d)
    now += 13 * 3600_000
    const payment = await d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })
    expect(payment.intentId).toBe('pi_test0001r')
    expect(decodeCollectionQr(payment.qrPayload).amountFen).toBe(6660)
  })

  it('says so when an expired intent cannot be renewed without coverage', async () => {
    let now = Date.now()
    const d = await startTestDevice({ now: () => new Date(now) })
    devices.push(d)
    await atDoor(d)
    await d.backend.close()
    now += 13 * 3600_000
    await expect(d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })).rejects.toMatchObject({
      code: 'payment.renew_offline',
    })
  })

  it('refuses a prepaid order, a closed one, and one not on the manifest', async () => {
    const d = await device()
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000002-1-1-', source: 'wedge' })
    await expect(d.core.handlers.showPaymentQr({ orderId: 'ord_test0002' })).rejects.toMatchObject({
      code: 'order.closed',
    })
    await expect(d.core.handlers.showPaymentQr({ orderId: 'ord_nothere' })).rejects.toMatchObject({
      code: 'order.not_found',
    })
  })
})

describe('switching from digital to cash', () => {
  it('cancels the intent with the backend first', async () => {
    const d = await device()
    await atDoor(d)
    await d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })
    const result = await d.core.handlers.startCash({ orderId: 'ord_test0001' })
    expect(result).toMatchObject({ intentCancellation: 'cancelled', alreadyPaid: false })
    expect(d.backend.intents.get('pi_test0001')!.status).toBe('cancelled')
    expect(outboxOf(d).at(-1)).toMatchObject({ type: 'intent.cancelled', payload: { intentId: 'pi_test0001' } })
    const order = await d.core.handlers.recordCash({ orderId: 'ord_test0001', takenFen: 6660 })
    expect(order).toMatchObject({ status: 'delivered', method: 'cash', collectedFen: 6660 })
  })

  it('records the cancellation for sync when offline, and flags a payment that arrives after the cash', async () => {
    const d = await device()
    await atDoor(d)
    await d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })
    await d.backend.close()
    const result = await d.core.handlers.startCash({ orderId: 'ord_test0001' })
    expect(result.intentCancellation).toBe('recorded')
    await d.core.handlers.recordCash({ orderId: 'ord_test0001', takenFen: 6660 })
    // The customer paid anyway, before the cancellation could reach the acquirer.
    const paid = d.backend.pay('pi_test0001')
    await d.backend.resume()
    await until(() => d.backend.streamClients() === 1, 'the stream to reconnect', 8000)
    d.backend.send('payment', { ...paid, orderId: 'ord_test0001' })
    await until(() => eventsOf(d, 'orderFlagged').length === 1, 'the flag')
    expect(eventsOf(d, 'orderFlagged')[0]).toMatchObject({
      orderId: 'ord_test0001',
      kind: 'late_payment_after_cash',
      amountFen: 6660,
      source: 'device',
    })
    const order = await d.core.handlers.getOrder({ orderId: 'ord_test0001' })
    expect(order).toMatchObject({ status: 'delivered', method: 'cash', collectedFen: 6660 })
    expect(order.payment).toMatchObject({ status: 'paid', cancelledByCourier: true })
    expect((await d.core.handlers.getShiftSummary({})).flags).toHaveLength(1)
    expect(outboxOf(d).filter((e) => e.type === 'payment.confirmed')).toHaveLength(1)
  })

  it('flags a payment made before the cash was taken as paid twice, not as late', async () => {
    const d = await device()
    await atDoor(d)
    await d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })
    await d.backend.close()
    // The customer pays while the terminal has no coverage, then hands over cash as well.
    const paid = d.backend.pay('pi_test0001')
    await new Promise((resolve) => setTimeout(resolve, 20))
    await d.core.handlers.startCash({ orderId: 'ord_test0001' })
    await d.core.handlers.recordCash({ orderId: 'ord_test0001', takenFen: 6660 })
    await d.backend.resume()
    await until(() => d.backend.streamClients() === 1, 'the stream to reconnect', 8000)
    d.backend.send('payment', { ...paid, orderId: 'ord_test0001' })
    await until(() => eventsOf(d, 'orderFlagged').length === 1, 'the flag')
    expect(eventsOf(d, 'orderFlagged')[0]).toMatchObject({ kind: 'double_payment', amountFen: 6660, source: 'device' })
  })

  it('treats the order as paid when the intent was paid before the cancellation', async () => {
    const d = await device()
    await atDoor(d)
    await d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })
    d.backend.pay('pi_test0001')
    const result = await d.core.handlers.startCash({ orderId: 'ord_test0001' })
    expect(result).toMatchObject({ alreadyPaid: true, order: { status: 'delivered', method: 'digital' } })
    await expect(d.core.handlers.recordCash({ orderId: 'ord_test0001', takenFen: 6660 })).rejects.toMatchObject({
      code: 'order.closed',
    })
  })
})
