import type { DeviceEvent } from '../shared/api/events'
import type { EventWriter } from '../backend/testing/api'
import type { BuiltOrder } from '../backend/testing/fixtures'

/**
 * A courier's outbox for a route, as the device writes it: every parcel scanned, one order in ten failed (not
 * home), COD orders shown a QR (when they have an intent) then taken in cash, prepaid ones completed, now and
 * then a refused scan, and the cash declared at the end; the courier's times seven seconds apart.
 */
export function courierOutbox(
  writer: EventWriter,
  orders: readonly BuiltOrder[],
  intents: ReadonlyMap<string, string>,
): DeviceEvent[] {
  const events: DeviceEvent[] = []
  let minute = 0
  const time = () => new Date(Date.parse('2026-03-01T08:00:00+08:00') + minute++ * 7_000).toISOString()
  for (const [i, order] of orders.entries()) {
    for (const parcel of order.parcels) {
      events.push(
        writer.next(
          {
            type: 'parcel.scanned',
            payload: { orderId: order.orderId, parcelId: parcel.parcelId, barcode: parcel.barcode, source: 'wedge' },
          },
          time(),
        ),
      )
    }
    if (i % 10 === 9) {
      events.push(
        writer.next(
          { type: 'delivery.failed', payload: { orderId: order.orderId, attempt: 1, reason: 'not_home' } },
          time(),
        ),
      )
      continue
    }
    const intentId = intents.get(order.orderId)
    if (order.codFen > 0 && intentId) {
      events.push(writer.next({ type: 'payment.qr_shown', payload: { orderId: order.orderId, intentId } }, time()))
    }
    events.push(
      writer.next(
        {
          type: 'delivery.completed',
          payload: {
            orderId: order.orderId,
            attempt: 1,
            method: order.codFen > 0 ? 'cash' : 'prepaid',
            dueFen: order.codFen,
            collectedFen: order.codFen,
            intentId: null,
          },
        },
        time(),
      ),
    )
    if (i % 50 === 49)
      events.push(
        writer.next(
          { type: 'scan.refused', payload: { code: 'JDXX1', reason: 'malformed', source: 'camera' } },
          time(),
        ),
      )
  }
  events.push(writer.next({ type: 'shift.cash_declared', payload: { declaredFen: 123_400 } }, time()))
  return events
}
