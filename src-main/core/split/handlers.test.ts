import { afterEach, describe, expect, it } from 'vitest'
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
const atDoor = (d: TestDevice) => d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })

describe('split payment', () => {
  it('shows the part QR, waits for the cash rest once the part is paid, and records two collections', async () => {
    const d = await device()
    await atDoor(d)
    const opened = await d.core.handlers.startSplit({ orderId: ORDER, digitalFen: 5000 })
    expect(opened).toMatchObject({
      status: 'pending',
      payment: { intentId: 'pi_test0001s', amountFen: 5000, status: 'pending' },
      split: { digitalFen: 5000, cashFen: 1660, intentId: 'pi_test0001s', state: 'digital_pending' },
    })
    expect(d.backend.requests).toContain('POST /api/v1/intents/pi_test0001/split')
    // The whole-amount intent is no longer the one shown.
    expect(queryDevice(d, `SELECT intent_id, status, is_current FROM intents WHERE order_id = ?`, [ORDER])).toEqual(
      expect.arrayContaining([
        { intent_id: 'pi_test0001', status: 'cancelled', is_current: 0 },
        { intent_id: 'pi_test0001s', status: 'pending', is_current: 1 },
      ]),
    )
    // Cash before the part is paid is refused.
    await expect(d.core.handlers.recordSplitCash({ orderId: ORDER })).rejects.toMatchObject({
      code: 'split.digital_unpaid',
    })

    d.backend.pay('pi_test0001s')
    await until(() => eventsOf(d, 'paymentUpdated').some((u) => u.payment.status === 'paid'), 'the part paid')
    const waiting = await d.core.handlers.getOrder({ orderId: ORDER })
    expect(waiting).toMatchObject({ status: 'pending', split: { state: 'cash_pending', cashFen: 1660 } })
    expect(eventsOf(d, 'paymentUpdated').at(-1)).toMatchObject({ completed: false, orderStatus: 'pending' })

    const done = await d.core.handlers.recordSplitCash({ orderId: ORDER })
    expect(done).toMatchObject({ status: 'delivered', method: 'split', collectedFen: 1660, split: { state: 'done' } })
    const events = outboxOf(d).filter((e) => e.type === 'payment.confirmed' || e.type === 'delivery.completed')
    expect(events.map((e) => [e.type, e.payload])).toEqual([
      ['payment.confirmed', expect.objectContaining({ intentId: 'pi_test0001s', amountFen: 5000 })],
      [
        'delivery.completed',
        expect.objectContaining({ method: 'split', dueFen: 6660, collectedFen: 1660, intentId: 'pi_test0001s' }),
      ],
    ])
    const summary = await d.core.handlers.getShiftSummary({})
    expect(summary.counters).toMatchObject({ delivered: 1, digitalFen: 5000, cashFen: 1660 })
    expect(summary.cashToHandInFen).toBe(1660)
    // The money panel counts the same order: the paid part as confirmed digital, the rest as cash, once each.
    expect(summary.money).toMatchObject({
      digitalConfirmedFen: 5000,
      digitalConfirmedCount: 1,
      digitalAwaitingFen: 0,
      cashFen: 1660,
      collectedFen: 6660,
      netFen: 6660,
    })
  })

  it('resumes the same split when asked again, and opens a new one for another part', async () => {
    const d = await device()
    await atDoor(d)
    await d.core.handlers.startSplit({ orderId: ORDER, digitalFen: 5000 })
    const key = queryDevice<{ split_key: string }>(d, 'SELECT split_key FROM splits')[0]!.split_key
    await d.core.handlers.startSplit({ orderId: ORDER, digitalFen: 5000 })
    expect(queryDevice(d, 'SELECT split_key FROM splits')).toEqual([{ split_key: key }])
    const changed = await d.core.handlers.startSplit({ orderId: ORDER, digitalFen: 3000 })
    expect(changed.split).toMatchObject({ digitalFen: 3000, cashFen: 3660 })
    expect(queryDevice<{ split_key: string }>(d, 'SELECT split_key FROM splits')[0]!.split_key).not.toBe(key)
  })

  it('refuses a part of nothing or of the whole, and says a split needs coverage, changing nothing', async () => {
    const d = await device()
    await atDoor(d)
    await expect(d.core.handlers.startSplit({ orderId: ORDER, digitalFen: 6660 })).rejects.toMatchObject({
      code: 'split.bad_amount',
    })
    await expect(d.core.handlers.startSplit({ orderId: ORDER, digitalFen: 0 })).rejects.toMatchObject({
      code: 'split.bad_amount',
    })
    await d.backend.close()
    await expect(d.core.handlers.startSplit({ orderId: ORDER, digitalFen: 1000 })).rejects.toMatchObject({
      code: 'split.offline',
    })
    // The whole-amount QR still works offline, as the charge flow offers.
    const order = await d.core.handlers.getOrder({ orderId: ORDER })
    expect(order).toMatchObject({ split: null, payment: { intentId: 'pi_test0001', status: 'pending' } })
    await expect(d.core.handlers.recordSplitCash({ orderId: ORDER })).rejects.toMatchObject({ code: 'split.none' })
  })
})
