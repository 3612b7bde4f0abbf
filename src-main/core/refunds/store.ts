import type { RefundNotice } from '../../../shared/api/closure'
import type { DeviceDb } from '../db'

/**
 * Records how a refund stands, as the stream or the manifest said, inside the caller's transaction. A refund paid
 * back stays paid back (a late or replayed message never makes it due again). True when the row changed.
 */
export function recordRefund(db: DeviceDb, refund: RefundNotice, at: string): boolean {
  return (
    db.run(
      `INSERT INTO refunds (refund_no, order_id, intent_id, amount_fen, status, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (refund_no) DO UPDATE SET status = excluded.status, amount_fen = excluded.amount_fen,
         updated_at = excluded.updated_at
       WHERE refunds.status <> 'succeeded'
         AND (refunds.status IS NOT excluded.status OR refunds.amount_fen IS NOT excluded.amount_fen)`,
      [refund.refundNo, refund.orderId, refund.intentId, refund.amountFen, refund.status, at],
    ).changes > 0
  )
}
