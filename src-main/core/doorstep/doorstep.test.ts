import { afterEach, describe, expect, it } from 'vitest'
import { eventsOf, outboxOf, queryDevice, startTestDevice, until, type TestDevice } from '../testing/device'

/**
 * The doorstep's promise (issue 10): what is collected belongs to the parcel in the courier's hand, exactly once,
 * and the courier always knows what just happened. Each case here is a path a courier really takes that the first
 * tests did not script; each failed on the core before the order in hand was the core's to hold.
 */

const devices: TestDevice[] = []
async function device(options: Parameters<typeof startTestDevice>[0] = {}): Promise<TestDevice> {
  const created = await startTestDevice(options)
  devices.push(created)
  return created
}
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close()
})

const ORDER1 = 'ord_test0001'
const CODE1 = 'JDVA00000000001-1-1-'
const PREPAID = 'ord_test0002'
const CODE_PREPAID = 'JDVA00000000002-1-1-'
const ORDER4 = 'ord_test0004'
const CODE4 = 'JDVA00000000004-1-1-'

const scan = (d: TestDevice, code: string) => d.core.handlers.scanBarcode({ code, source: 'wedge' })

describe('a refusal lets go of the order in hand', () => {
  const refusals: [string, (d: TestDevice) => Promise<void>, string][] = [
    ['not on the manifest', async (d) => void (await scan(d, 'JDXX99999999999-1-1-')), 'not_on_manifest'],
    ['unreadable', async (d) => void (await scan(d, '%%%')), 'malformed'],
    [
      'already delivered',
      async (d) => {
        // Order 4 delivered in cash, its window passed by a scan of order 1 in between.
        await scan(d, CODE4)
        await d.core.handlers.startCash({ orderId: ORDER4 })
        await d.core.handlers.recordCash({ orderId: ORDER4, takenFen: 500 })
        await scan(d, CODE1)
        await scan(d, CODE4)
      },
      'already_delivered',
    ],
  ]
  it.each(refusals)('%s: nothing of the previous order can be acted on', async (_what, refuse, reason) => {
    const d = await device()
    await d.backend.close()
    await scan(d, CODE1)
    await refuse(d)
    expect(outboxOf(d).at(-1)).toMatchObject({ type: 'scan.refused', payload: { reason } })
    const before = outboxOf(d)
    for (const act of [
      () => d.core.handlers.showPaymentQr({ orderId: ORDER1 }),
      () => d.core.handlers.startCash({ orderId: ORDER1 }),
      () => d.core.handlers.recordCash({ orderId: ORDER1, takenFen: 6660 }),
      () => d.core.handlers.recordFailure({ orderId: ORDER1, reason: 'not_home' }),
      () => d.core.handlers.recordUnverified({ orderId: ORDER1 }),
    ]) {
      await expect(act()).rejects.toMatchObject({ code: 'doorstep.not_in_hand' })
    }
    expect(outboxOf(d)).toEqual(before)
    expect(await d.core.handlers.getDoorstep({})).toMatchObject({ order: null, collecting: null })
    // Scanning it again puts it back in hand.
    await scan(d, CODE1)
    await expect(d.core.handlers.showPaymentQr({ orderId: ORDER1 })).resolves.toMatchObject({ status: 'pending' })
  })

  it('keeps an open QR through a refused scan: the customer may be paying it', async () => {
    const d = await device()
    await scan(d, CODE1)
    await d.core.handlers.showPaymentQr({ orderId: ORDER1 })
    expect(await scan(d, 'JDXX99999999999-1-1-')).toMatchObject({ outcome: 'refused', reason: 'not_on_manifest' })
    expect(await d.core.handlers.getDoorstep({})).toMatchObject({ collecting: 'qr', order: { orderId: ORDER1 } })
  })
})

describe('a stray scan during a collection asks, and never cancels', () => {
  it('with the QR open: nothing is recorded until the courier keeps or switches', async () => {
    const d = await device()
    await scan(d, CODE1)
    await d.core.handlers.showPaymentQr({ orderId: ORDER1 })
    const before = outboxOf(d)
    const outcome = await scan(d, CODE4)
    expect(outcome).toMatchObject({
      outcome: 'conflict',
      collecting: 'qr',
      order: { orderId: ORDER4 },
      current: { orderId: ORDER1 },
    })
    expect(outboxOf(d)).toEqual(before)
    expect(await d.core.handlers.getDoorstep({})).toMatchObject({
      order: { orderId: ORDER1 },
      collecting: 'qr',
      conflict: { orderId: ORDER4, waybill: 'JDVA00000000004' },
    })
    expect(eventsOf(d, 'doorstepChanged').at(-1)).toMatchObject({ conflict: { orderId: ORDER4 } })

    // Keep: the stray parcel is logged as refused, the QR stays up and payable.
    expect(await d.core.handlers.resolveScanConflict({ choice: 'keep' })).toMatchObject({
      outcome: 'refused',
      reason: 'collection_in_progress',
      waybill: 'JDVA00000000004',
    })
    expect(outboxOf(d).at(-1)).toMatchObject({
      type: 'scan.refused',
      payload: { code: CODE4, reason: 'collection_in_progress' },
    })
    expect(await d.core.handlers.getDoorstep({})).toMatchObject({ collecting: 'qr', conflict: null })
    expect(d.backend.intents.get('pi_test0001')!.status).toBe('pending')
    await expect(d.core.handlers.resolveScanConflict({ choice: 'keep' })).rejects.toMatchObject({
      code: 'doorstep.no_conflict',
    })
  })

  it('switching moves to the new parcel and leaves the old QR payable, not cancelled', async () => {
    const d = await device()
    await scan(d, CODE1)
    await d.core.handlers.showPaymentQr({ orderId: ORDER1 })
    await scan(d, CODE4)
    expect(await d.core.handlers.resolveScanConflict({ choice: 'switch' })).toMatchObject({
      outcome: 'accepted',
      order: { orderId: ORDER4 },
    })
    expect(await d.core.handlers.getDoorstep({})).toMatchObject({ order: { orderId: ORDER4 }, collecting: null })
    expect(outboxOf(d).filter((e) => e.type === 'intent.cancelled')).toEqual([])
    expect(d.backend.intents.get('pi_test0001')!.status).toBe('pending')
    expect((await d.core.handlers.getOrder({ orderId: ORDER1 })).payment).toMatchObject({
      status: 'pending',
      cancelledByCourier: false,
    })
    // Order 1 can no longer be collected from here: it is not in hand.
    await expect(d.core.handlers.startCash({ orderId: ORDER1 })).rejects.toMatchObject({
      code: 'doorstep.not_in_hand',
    })
  })

  it('with the cash panel open: keeping it lets the courier take the cash as before', async () => {
    const d = await device()
    await scan(d, CODE1)
    await d.core.handlers.startCash({ orderId: ORDER1 })
    expect(await scan(d, CODE4)).toMatchObject({ outcome: 'conflict', collecting: 'cash' })
    await d.core.handlers.resolveScanConflict({ choice: 'keep' })
    await expect(d.core.handlers.recordCash({ orderId: ORDER1, takenFen: 6660 })).resolves.toMatchObject({
      status: 'delivered',
      method: 'cash',
    })
  })

  it('a second parcel of the order in hand is no stray scan', async () => {
    const d = await device()
    await scan(d, CODE1)
    await d.core.handlers.showPaymentQr({ orderId: ORDER1 })
    expect(await scan(d, CODE1)).toMatchObject({ outcome: 'accepted', newlyScanned: false })
    expect(await d.core.handlers.getDoorstep({})).toMatchObject({ collecting: 'qr', conflict: null })
  })
})

describe('a prepaid scan is one action, and not final until its undo window has passed', () => {
  it('opens an undo window that one tap uses, reopening the order with an undo event', async () => {
    const d = await device()
    expect(await scan(d, CODE_PREPAID)).toMatchObject({ outcome: 'accepted', completed: true })
    const view = await d.core.handlers.getDoorstep({})
    expect(view.undo).toMatchObject({ orderId: PREPAID, method: 'prepaid', windowMs: 10_000 })
    const undone = await d.core.handlers.undoDelivery({ orderId: PREPAID })
    expect(undone).toMatchObject({ status: 'pending', method: null })
    const [completed, undo] = outboxOf(d).slice(-2)
    expect(completed).toMatchObject({ type: 'delivery.completed', payload: { method: 'prepaid' } })
    expect(undo).toMatchObject({
      type: 'delivery.undone',
      payload: { orderId: PREPAID, attempt: 1, outcome: 'delivered', method: 'prepaid' },
    })
    expect(await d.core.handlers.getDoorstep({})).toMatchObject({ order: { orderId: PREPAID }, undo: null })
    // In hand again: handing it over is one tap, or the same scan.
    await expect(d.core.handlers.deliverPrepaid({ orderId: PREPAID })).resolves.toMatchObject({
      status: 'delivered',
    })
    expect((await d.core.handlers.getRoute({})).counters.delivered).toBe(1)
  })

  it('the next scan ends the window at once: no wait before the next stop', async () => {
    const d = await device()
    await scan(d, CODE_PREPAID)
    await scan(d, CODE1)
    expect((await d.core.handlers.getDoorstep({})).undo).toBeNull()
    await expect(d.core.handlers.undoDelivery({ orderId: PREPAID })).rejects.toMatchObject({ code: 'undo.not_open' })
  })

  it('the window ends by itself, and a completion is final after a restart', async () => {
    let clock = Date.parse('2026-12-01T09:00:00+08:00')
    const d = await device({ now: () => new Date(clock) })
    await scan(d, CODE_PREPAID)
    clock += 10_001
    await expect(d.core.handlers.undoDelivery({ orderId: PREPAID })).rejects.toMatchObject({
      code: 'undo.window_passed',
    })
    expect((await d.core.handlers.getOrder({ orderId: PREPAID })).status).toBe('delivered')
  })
})

describe('undo of cash and failure', () => {
  it('undoes a cash collection into the order card again; a confirmed digital payment cannot be undone', async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the stream')
    await scan(d, CODE4)
    await d.core.handlers.startCash({ orderId: ORDER4 })
    await d.core.handlers.recordCash({ orderId: ORDER4, takenFen: 400, confirmMismatch: true })
    expect((await d.core.handlers.getDoorstep({})).undo).toMatchObject({ method: 'cash', amountFen: 400 })
    await d.core.handlers.undoDelivery({ orderId: ORDER4 })
    expect(await d.core.handlers.getDoorstep({})).toMatchObject({ order: { orderId: ORDER4, status: 'pending' } })
    expect((await d.core.handlers.getShiftSummary({})).cashToHandInFen).toBe(0)
    await d.core.handlers.startCash({ orderId: ORDER4 })
    await d.core.handlers.recordCash({ orderId: ORDER4, takenFen: 500 })
    expect((await d.core.handlers.getShiftSummary({})).cashToHandInFen).toBe(500)

    await scan(d, CODE1)
    await d.core.handlers.showPaymentQr({ orderId: ORDER1 })
    const paid = d.backend.pay('pi_test0001')
    d.backend.send('payment', { ...paid, orderId: ORDER1 })
    await until(async () => (await d.core.handlers.getOrder({ orderId: ORDER1 })).status === 'delivered', 'paid')
    expect((await d.core.handlers.getDoorstep({})).undo).toBeNull()
    await expect(d.core.handlers.undoDelivery({ orderId: ORDER1 })).rejects.toMatchObject({ code: 'undo.not_open' })
  })

  it('after an undo, or back from the cash panel, cash is recorded only once the panel is open again', async () => {
    const d = await device()
    await scan(d, CODE4)
    await d.core.handlers.startCash({ orderId: ORDER4 })
    await d.core.handlers.recordCash({ orderId: ORDER4, takenFen: 500 })
    await d.core.handlers.undoDelivery({ orderId: ORDER4 })
    await expect(d.core.handlers.recordCash({ orderId: ORDER4, takenFen: 500 })).rejects.toMatchObject({
      code: 'cash.panel_closed',
    })
    await d.core.handlers.startCash({ orderId: ORDER4 })
    await d.core.handlers.leavePayment({ orderId: ORDER4 })
    await expect(d.core.handlers.recordCash({ orderId: ORDER4, takenFen: 500 })).rejects.toMatchObject({
      code: 'cash.panel_closed',
    })
    expect((await d.core.handlers.getOrder({ orderId: ORDER4 })).status).toBe('pending')
  })

  it('undoes a failure', async () => {
    const d = await device()
    await scan(d, CODE1)
    await d.core.handlers.recordFailure({ orderId: ORDER1, reason: 'not_home' })
    await d.core.handlers.undoDelivery({ orderId: ORDER1 })
    expect(await d.core.handlers.getOrder({ orderId: ORDER1 })).toMatchObject({
      status: 'pending',
      failureReason: null,
    })
    expect(outboxOf(d).at(-1)).toMatchObject({
      type: 'delivery.undone',
      payload: { outcome: 'failed', method: null },
    })
  })
})

describe('a completion the courier did not watch is announced', () => {
  it('a payment that lands after the courier moved on: its waybill and amount, until dismissed', async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the stream')
    await scan(d, CODE1)
    await d.core.handlers.showPaymentQr({ orderId: ORDER1 })
    await d.core.handlers.leavePayment({ orderId: ORDER1 })
    await scan(d, CODE4)
    const paid = d.backend.pay('pi_test0001')
    d.backend.send('payment', { ...paid, orderId: ORDER1 })
    await until(async () => (await d.core.handlers.getDoorstep({})).notice !== null, 'the notice')
    const view = await d.core.handlers.getDoorstep({})
    expect(view).toMatchObject({
      notice: { orderId: ORDER1, waybill: 'JDVA00000000001', amountFen: 6660, method: 'digital' },
      // The order in hand is still order 4.
      order: { orderId: ORDER4 },
    })
    const dismissed = await d.core.handlers.dismissNotice({ id: view.notice!.id })
    expect(dismissed.notice).toBeNull()
  })

  it('the one the courier watches is not announced', async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the stream')
    await scan(d, CODE1)
    await d.core.handlers.showPaymentQr({ orderId: ORDER1 })
    const paid = d.backend.pay('pi_test0001')
    d.backend.send('payment', { ...paid, orderId: ORDER1 })
    await until(async () => (await d.core.handlers.getOrder({ orderId: ORDER1 })).status === 'delivered', 'paid')
    expect(await d.core.handlers.getDoorstep({})).toMatchObject({ notice: null, order: null })
  })
})

describe('racing calls on one order give one outcome', () => {
  it('cash and a failure tapped at once: exactly one is recorded', async () => {
    const d = await device()
    await d.backend.close()
    await scan(d, CODE1)
    await d.core.handlers.startCash({ orderId: ORDER1 })
    const results = await Promise.allSettled([
      d.core.handlers.recordCash({ orderId: ORDER1, takenFen: 6660 }),
      d.core.handlers.recordFailure({ orderId: ORDER1, reason: 'refused' }),
      d.core.handlers.recordCash({ orderId: ORDER1, takenFen: 6660 }),
    ])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const closing = outboxOf(d).filter((e) => e.type === 'delivery.completed' || e.type === 'delivery.failed')
    expect(closing).toHaveLength(1)
    expect(queryDevice(d, 'SELECT status FROM orders WHERE order_id = ?', [ORDER1])).toHaveLength(1)
  })
})
