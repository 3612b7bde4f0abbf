import type { DeliveryMethod } from '../../../shared/api/events'
import { TuotouError } from '../../../shared/errors'
import type { DeviceDb } from '../db'
import type { OrderRow } from '../manifest/views'
import { appendEvent } from '../outbox/store'
import { chosenHandover } from '../proof/store'

/** `order.closed` for an order that a racing call closed first, saying how it stands now. */
export function closedNow(db: DeviceDb, order: OrderRow): TuotouError {
  const now = db.get<{ status: string }>('SELECT status FROM orders WHERE order_id = ?', [order.order_id])
  return new TuotouError('order.closed', `order ${order.waybill} is no longer open`, {
    waybill: order.waybill,
    status: now?.status ?? 'unknown',
  })
}

/**
 * Marks a pending order delivered and records it, inside the caller's transaction (the scan that completed a
 * prepaid order, the payment that completed a digital one, the cash the courier confirmed). The UPDATE's change
 * count is the proof that the order was still open: of two racing completions, the second throws `order.closed`
 * and its transaction rolls back.
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
  if (changed !== 1) throw closedNow(db, order)
  const handover = chosenHandover(db, order)
  appendEvent(db, {
    type: 'delivery.completed',
    payload: {
      orderId: order.order_id,
      attempt: order.attempt,
      method: delivery.method,
      dueFen: order.cod_fen,
      collectedFen: delivery.collectedFen,
      intentId: delivery.intentId,
      ...(handover ? { handover } : {}),
    },
    shiftId: order.shift_id,
    occurredAt: at,
  })
}

/**
 * Reopens an order whose prepaid, cash or failed completion the courier undid, and records the undo, inside the
 * caller's transaction. The completion event stays in the outbox; this event follows it. Throws `undo.not_open`
 * when the order is not closed the way the window says (a payment, another undo, or a race got there first).
 */
export function undoCompletion(
  db: DeviceDb,
  order: OrderRow,
  undone: { outcome: 'delivered' | 'failed'; method: DeliveryMethod | null },
  at: string,
): void {
  const changed = db.run(
    `UPDATE orders SET status = 'pending', method = NULL, collected_fen = NULL, failure_reason = NULL, closed_at = NULL
     WHERE order_id = ? AND status = ? AND method IS ?`,
    [order.order_id, undone.outcome, undone.method],
  ).changes
  if (changed !== 1) {
    throw new TuotouError('undo.not_open', `order ${order.waybill} cannot be undone now`, { waybill: order.waybill })
  }
  appendEvent(db, {
    type: 'delivery.undone',
    payload: { orderId: order.order_id, attempt: order.attempt, outcome: undone.outcome, method: undone.method },
    shiftId: order.shift_id,
    occurredAt: at,
  })
}
