import type { DeliveryMethod } from '../../../shared/api/events'
import type { DeviceDb } from '../db'
import type { OrderRow } from '../manifest/views'
import { appendEvent } from '../outbox/store'

/**
 * Marks a pending order delivered and records it, inside the caller's transaction (the scan that completed a
 * prepaid order, the payment that completed a digital one, the cash the courier confirmed).
 */
export function completeDelivery(
  db: DeviceDb,
  order: OrderRow,
  delivery: { method: DeliveryMethod; collectedFen: number; intentId: string | null },
  at: string,
): void {
  const changed = db.run(
    `UPDATE orders SET status = 'delivered', method = ?, collected_fen = ?, closed_at = ?
     WHERE order_id = ? AND status = 'pending'`,
    [delivery.method, delivery.collectedFen, at, order.order_id],
  ).changes
  if (changed !== 1) throw new Error(`order ${order.order_id} is not pending; it cannot be completed`)
  appendEvent(db, {
    type: 'delivery.completed',
    payload: {
      orderId: order.order_id,
      attempt: order.attempt,
      method: delivery.method,
      dueFen: order.cod_fen,
      collectedFen: delivery.collectedFen,
      intentId: delivery.intentId,
    },
    shiftId: order.shift_id,
    occurredAt: at,
  })
}
