import { afterEach, describe, expect, it } from 'vitest'
import { eventsOf, outboxOf, queryDevice, startTestDevice, until, type TestDevice } from '../testing/device'
import type { ScriptedBackend } from '../testing/scripted-backend'

const devices: TestDevice[] = []
async function device(arrange?: (backend: ScriptedBackend) => void): Promise<TestDevice> {
  const created = await startTestDevice({ arrange })
  devices.push(created)
  return created
}
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close()
})

/** Scans every parcel of an order and shows its QR, then loses coverage. */
async function qrUpOffline(d: TestDevice, n: number, parcels = 1): Promise<string> {
  const waybill = `JDVA${String(n).padStart(11, '0')}`
  for (let i = 1; i <= parcels; i++) {
    await d.core.handlers.scanBarcode({ code: `${waybill}-${i}-${parcels}-`, source: 'wedge' })
  }
  const orderId = `ord_test${String(n).padStart(4, '0')}`
  await d.core.handlers.showPaymentQr({ orderId })
  return orderId
}

describe('"paid, to be verified"', () => {
  it('completes the order as digital within the limits, and says how much of the shift allowance is left', async () => {
    const d = await device()
    const orderId = await qrUpOffline(d, 1)
    await d.backend.close()
    expect(await d.core.handlers.getUnverifiedAllowance({})).toEqual({
      perOrderFen: 20_000,
      perShiftFen: 100_000,
      usedFen: 0,
      remainingFen: 100_000,
    })
    const order = await d.core.handlers.recordUnverified({ orderId })
    expect(order).toMatchObject({
      status: 'delivered',
      method: 'digital',
      collectedFen: 6660,
      payment: { status: 'pending', confirmation: 'unverified', settlement: null },
    })
    expect(outboxOf(d).slice(-2)).toEqual([
      expect.objectContaining({
        type: 'payment.unverified',
        payload: { orderId, intentId: 'pi_test0001', amountFen: 6660 },
      }),
      expect.objectContaining({
        type: 'delivery.completed',
        payload: expect.objectContaining({ method: 'digital', collectedFen: 6660, intentId: 'pi_test0001' }),
      }),
    ])
    expect(await d.core.handlers.getUnverifiedAllowance({})).toMatchObject({ usedFen: 6660, remainingFen: 93_340 })
    expect((await d.core.handlers.getShiftSummary({})).unverified).toMatchObject({ usedFen: 6660 })
    expect(eventsOf(d, 'paymentUpdated').at(-1)).toMatchObject({
      completed: true,
      payment: { confirmation: 'unverified' },
    })
    expect((await d.core.handlers.getAttention({})).unverified).toEqual([
      expect.objectContaining({ orderId, amountFen: 6660, settlement: null, waybill: 'JDVA00000000001' }),
    ])
    expect(d.core.sync.status().attention).toBe(1)
  })

  it('refuses an order over the per-order limit, and changes nothing', async () => {
    const d = await device((b) => b.setUnverifiedLimits({ perOrderFen: 5000, perShiftFen: 100_000 }))
    const orderId = await qrUpOffline(d, 1)
    const before = outboxOf(d).length
    await expect(d.core.handlers.recordUnverified({ orderId })).rejects.toMatchObject({
      code: 'unverified.over_order_limit',
      details: { amount: '¥66.60', limit: '¥50.00' },
    })
    expect(outboxOf(d)).toHaveLength(before)
    expect(await d.core.handlers.getOrder({ orderId })).toMatchObject({
      status: 'pending',
      payment: { confirmation: null },
    })
  })

  it('refuses once the shift allowance would be exceeded, counting what was recorded before', async () => {
    const d = await device((b) => b.setUnverifiedLimits({ perOrderFen: 20_000, perShiftFen: 10_000 }))
    await d.core.handlers.recordUnverified({ orderId: await qrUpOffline(d, 1) })
    await d.core.handlers.recordUnverified({ orderId: await qrUpOffline(d, 4) })
    expect(await d.core.handlers.getUnverifiedAllowance({})).toMatchObject({ usedFen: 7160, remainingFen: 2840 })
    const third = await qrUpOffline(d, 3, 2)
    const before = outboxOf(d).length
    await expect(d.core.handlers.recordUnverified({ orderId: third })).rejects.toMatchObject({
      code: 'unverified.over_shift_limit',
      details: { amount: '¥128.00', remaining: '¥28.40', limit: '¥100.00' },
    })
    expect(outboxOf(d)).toHaveLength(before)
    expect((await d.core.handlers.getOrder({ orderId: third })).status).toBe('pending')
  })

  it('refuses a QR the courier withdrew for cash, a prepaid order and an order with parcels missing', async () => {
    const d = await device()
    const orderId = await qrUpOffline(d, 1)
    await d.backend.close()
    await d.core.handlers.startCash({ orderId })
    // The QR was withdrawn for cash and is no longer on screen: nothing the customer saw can have been paid.
    await expect(d.core.handlers.recordUnverified({ orderId })).rejects.toMatchObject({
      code: 'unverified.qr_not_shown',
    })
    // An order not in hand (its parcel not scanned) is refused before anything else.
    await expect(d.core.handlers.recordUnverified({ orderId: 'ord_test0002' })).rejects.toMatchObject({
      code: 'doorstep.not_in_hand',
    })
    // Order 1's cash panel is open: the next parcel asks keep-or-switch, and the courier switches.
    expect(await d.core.handlers.scanBarcode({ code: 'JDVA00000000003-1-2-', source: 'wedge' })).toMatchObject({
      outcome: 'conflict',
      collecting: 'cash',
    })
    await d.core.handlers.resolveScanConflict({ choice: 'switch' })
    await expect(d.core.handlers.recordUnverified({ orderId: 'ord_test0003' })).rejects.toMatchObject({
      code: 'collect.parcels_missing',
    })
  })

  it('takes the acquirer’s later confirmation as settling the claim, not as a second payment', async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the stream')
    const orderId = await qrUpOffline(d, 1)
    await d.core.handlers.recordUnverified({ orderId })
    const paid = d.backend.pay('pi_test0001')
    d.backend.send('payment', { ...paid, orderId })
    await until(
      async () => (await d.core.handlers.getOrder({ orderId })).payment?.confirmation === 'acquirer',
      'the confirmation',
    )
    d.backend.send('settlement', {
      orderId,
      intentId: 'pi_test0001',
      verdict: 'verified',
      transactionId: paid.transactionId,
    })
    await until(
      async () => (await d.core.handlers.getAttention({})).unverified[0]?.settlement === 'verified',
      'the verdict',
    )
    expect(eventsOf(d, 'orderFlagged')).toEqual([])
    expect(outboxOf(d).filter((e) => e.type === 'delivery.completed')).toHaveLength(1)
    expect(await d.core.handlers.getOrder({ orderId })).toMatchObject({
      status: 'delivered',
      flags: [],
      payment: { status: 'paid', confirmation: 'acquirer', settlement: 'verified' },
    })
    expect(d.core.sync.status().attention).toBe(0)
    expect(eventsOf(d, 'attentionChanged').at(-1)?.unverified[0]).toMatchObject({ settlement: 'verified' })
  })

  it('flags on the terminal an unverified payment the acquirer never saw', async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the stream')
    const orderId = await qrUpOffline(d, 4)
    await d.core.handlers.recordUnverified({ orderId })
    d.backend.send('settlement', { orderId, intentId: 'pi_test0004', verdict: 'not_found', transactionId: null })
    d.backend.send('flag', { orderId, kind: 'unverified_not_found', intentId: 'pi_test0004', amountFen: 500 })
    await until(() => eventsOf(d, 'orderFlagged').length === 1, 'the flag')
    expect(eventsOf(d, 'orderFlagged')[0]).toMatchObject({ kind: 'unverified_not_found', amountFen: 500 })
    const attention = await d.core.handlers.getAttention({})
    expect(attention.unverified).toEqual([expect.objectContaining({ orderId, settlement: 'not_found' })])
    expect(attention.flags).toEqual([expect.objectContaining({ orderId, kind: 'unverified_not_found' })])
    expect(d.core.sync.status().attention).toBe(2)
    expect(queryDevice(d, 'SELECT verdict FROM settlements WHERE intent_id = ?', ['pi_test0004'])).toEqual([
      { verdict: 'not_found' },
    ])
  })
})
