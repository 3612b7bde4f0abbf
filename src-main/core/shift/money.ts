import { emptyMoneyFigures, type MoneyFigures } from '../../../shared/api/closure'
import type { OrderFlagKind } from '../../../shared/ipc/contract'
import type { DeviceDb } from '../db'

/** Flags that are a customer's money held until paid back: the same kinds the backend refunds. */
const REFUNDABLE: readonly OrderFlagKind[] = [
  'late_payment_after_cash',
  'late_payment_after_failure',
  'payment_on_closed_order',
  'double_payment',
  'payment_after_revoke',
]

const add = (total: number, fen: number): number => Math.min(Number.MAX_SAFE_INTEGER, total + fen)

/**
 * The shift's money as it truly stands (issue 12, section 7), counted the way the backend's money view counts a
 * day: digital is what the acquirer confirmed (a paid intent, a verified claim, and a second payment held until it
 * is refunded); a digital delivery with neither is awaiting while its claim is open, and owed once the backend
 * said the acquirer has no such payment; refunds are paid back or still due (approved and not yet paid, or
 * flagged and not yet approved); net is collected less refunds paid back.
 */
export function shiftMoney(db: DeviceDb, shiftId: string): MoneyFigures {
  const figures = emptyMoneyFigures()
  // A split is two collections on one order: `collected_fen` is its cash rest, and the rest of the amount due is
  // its digital part, paid through the part's own intent.
  const deliveries = db.all<{
    method: string
    collected: number
    digital: number
    paid: number
    verdict: string | null
  }>(
    `SELECT o.method, COALESCE(o.collected_fen, 0) AS collected,
       CASE o.method WHEN 'split' THEN o.cod_fen - COALESCE(o.collected_fen, 0)
                     WHEN 'digital' THEN COALESCE(o.collected_fen, 0) ELSE 0 END AS digital,
       EXISTS (SELECT 1 FROM intents i WHERE i.order_id = o.order_id AND i.status = 'paid') AS paid,
       (SELECT s.verdict FROM settlements s WHERE s.order_id = o.order_id ORDER BY s.received_at DESC LIMIT 1)
         AS verdict
     FROM orders o WHERE o.shift_id = ? AND o.status = 'delivered' AND o.method IN ('cash', 'digital', 'split')`,
    [shiftId],
  )
  for (const delivery of deliveries) {
    if (delivery.method !== 'digital') figures.cashFen = add(figures.cashFen, delivery.collected)
    if (delivery.method === 'cash') continue
    if (delivery.paid || delivery.verdict === 'verified') {
      figures.digitalConfirmedFen = add(figures.digitalConfirmedFen, delivery.digital)
      figures.digitalConfirmedCount++
    } else if (delivery.verdict === 'not_found') {
      figures.owedFen = add(figures.owedFen, delivery.digital)
      figures.owedCount++
    } else figures.digitalAwaitingFen = add(figures.digitalAwaitingFen, delivery.digital)
  }
  // A payment held for refund is flagged by the device, the backend or both, under kinds that may differ: one
  // amount per order and intent.
  const held = db.all<{ order_id: string; intent_id: string | null; amount: number; resolved: number }>(
    `SELECT f.order_id, f.intent_id, MAX(f.amount_fen) AS amount, MAX(f.resolved_at IS NOT NULL) AS resolved
     FROM order_flags f JOIN orders o ON o.order_id = f.order_id
     WHERE o.shift_id = ? AND f.kind IN (${REFUNDABLE.map(() => '?').join(', ')})
     GROUP BY f.order_id, f.intent_id`,
    [shiftId, ...REFUNDABLE],
  )
  const refunds = db.all<{ order_id: string; intent_id: string; amount_fen: number; status: string }>(
    `SELECT r.order_id, r.intent_id, r.amount_fen, r.status FROM refunds r JOIN orders o ON o.order_id = r.order_id
     WHERE o.shift_id = ?`,
    [shiftId],
  )
  const key = (orderId: string, intentId: string | null): string => `${orderId}\u0000${intentId ?? ''}`
  const refunded = new Set(refunds.map((refund) => key(refund.order_id, refund.intent_id)))
  const flagged = new Set(held.map((flag) => key(flag.order_id, flag.intent_id)))
  for (const flag of held) {
    figures.digitalConfirmedFen = add(figures.digitalConfirmedFen, flag.amount)
    figures.digitalConfirmedCount++
    if (flag.resolved || refunded.has(key(flag.order_id, flag.intent_id))) continue
    figures.refundsDueFen = add(figures.refundsDueFen, flag.amount)
    figures.refundsDueCount++
  }
  for (const refund of refunds) {
    if (!flagged.has(key(refund.order_id, refund.intent_id))) {
      // Repaying money the device never heard flagged (a payment that landed after its charge was revoked is
      // refunded by itself): it was confirmed money all the same.
      figures.digitalConfirmedFen = add(figures.digitalConfirmedFen, refund.amount_fen)
      figures.digitalConfirmedCount++
    }
    if (refund.status === 'succeeded') {
      figures.refundsPaidFen = add(figures.refundsPaidFen, refund.amount_fen)
      figures.refundsPaidCount++
    } else {
      figures.refundsDueFen = add(figures.refundsDueFen, refund.amount_fen)
      figures.refundsDueCount++
    }
  }
  figures.collectedFen = add(figures.digitalConfirmedFen, figures.cashFen)
  figures.netFen = figures.collectedFen - figures.refundsPaidFen
  return figures
}
