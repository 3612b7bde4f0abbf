import type { Attention, RejectedEvent, UnverifiedPayment } from '../../../shared/ipc/contract'
import type { SettlementVerdict } from '../../../shared/api/stream'
import type { DeviceDb } from '../db'
import { shiftFlags } from '../manifest/views'
import { rejectedEvents } from '../outbox/store'

/**
 * The shift the list is about: the open one, or after the courier ended it, the last one, so what the depot
 * still has to put right stays on screen at the login prompt.
 */
function latestShiftId(db: DeviceDb): string | null {
  return (
    db.get<{ shift_id: string }>(
      'SELECT shift_id FROM shifts ORDER BY (closed_at IS NULL) DESC, started_at DESC LIMIT 1',
    )?.shift_id ?? null
  )
}

/**
 * Events the backend refused, newest first, with the waybill they were about (rejected rows are never pruned);
 * `open` leaves out those the courier has acknowledged.
 */
export function rejectedList(db: DeviceDb, which: 'all' | 'open' = 'all'): RejectedEvent[] {
  return rejectedEvents(db, which).map(({ event, reason }) => {
    const orderId = 'orderId' in event.payload ? event.payload.orderId : null
    const waybill = orderId
      ? (db.get<{ waybill: string }>('SELECT waybill FROM orders WHERE order_id = ?', [orderId])?.waybill ?? null)
      : null
    return {
      seq: event.seq,
      type: event.type,
      occurredAt: event.occurredAt,
      reason: reason ?? 'rejected',
      orderId,
      waybill,
    }
  })
}

interface UnverifiedRow {
  order_id: string
  waybill: string
  intent_id: string
  amount_fen: number
  unverified_at: string
  verdict: SettlementVerdict | null
  received_at: string | null
}

/** The shift's "paid, to be verified" payments, oldest first, with the backend's verdict once it came. */
export function unverifiedList(db: DeviceDb, shiftId: string): UnverifiedPayment[] {
  return db
    .all<UnverifiedRow>(
      `SELECT i.order_id, o.waybill, i.intent_id, i.amount_fen, i.unverified_at, s.verdict, s.received_at
       FROM intents i JOIN orders o ON o.order_id = i.order_id
       LEFT JOIN settlements s ON s.intent_id = i.intent_id
       WHERE o.shift_id = ? AND i.unverified_at IS NOT NULL
       ORDER BY i.unverified_at, i.intent_id`,
      [shiftId],
    )
    .map((row) => ({
      orderId: row.order_id,
      waybill: row.waybill,
      intentId: row.intent_id,
      amountFen: row.amount_fen,
      recordedAt: row.unverified_at,
      settlement: row.verdict,
      settledAt: row.received_at,
    }))
}

/**
 * The courier's "needs attention" list: refused events not yet acknowledged, the shift's flags the depot has not
 * closed, its unverified payments.
 */
export function attentionList(db: DeviceDb): Attention {
  const shiftId = latestShiftId(db)
  return {
    rejected: rejectedList(db, 'open'),
    flags: shiftId ? shiftFlags(db, shiftId, 'open') : [],
    unverified: shiftId ? unverifiedList(db, shiftId) : [],
  }
}
