import type { Kysely } from 'kysely'
import { SettlementItem, SettlementStatus, type AttentionResponse } from '../../shared/api/dashboard'
import { FlagKind } from '../../shared/api/stream'
import type { BackendSchema } from '../db/schema'
import { courierRef, couriersOfDepot } from './couriers'
import { storedCount, storedFen, storedInstant, storedOption, storedTimestampOrEpoch } from './stored'

/** Flags that are money a customer paid twice, to be refunded; "not found" is money that never arrived. */
const REFUND_KINDS = new Set(['late_payment_after_cash', 'double_payment'])

/** How many rejected events one answer lists, newest first. */
const REJECTIONS_SHOWN = 500

/**
 * What needs a supervisor on a day: device claims about digital payments and how the acquirer settled them,
 * flags (refunds, payments that never arrived), and events refused on business grounds. Settlements and flags
 * are found through the day's orders (indexed by depot and day), rejections through their own table.
 */
export async function attentionOfDay(
  db: Kysely<BackendSchema>,
  depotId: string,
  date: string,
  nowMs: number,
): Promise<AttentionResponse> {
  const [settlements, flags, rejections, couriers] = await Promise.all([
    db
      .selectFrom('orders')
      .innerJoin('settlements', 'settlements.order_id', 'orders.id')
      .select([
        'settlements.intent_id',
        'settlements.order_id',
        'orders.waybill',
        'orders.courier_id',
        'settlements.kind',
        'settlements.claimed_fen',
        'settlements.status',
        'settlements.transaction_id',
        'settlements.attempts',
        'settlements.last_error',
        'settlements.created_ms',
        'settlements.settled_ms',
      ])
      .where('orders.depot_id', '=', depotId)
      .where('orders.route_date', '=', date)
      .orderBy('settlements.created_ms', 'desc')
      .orderBy('settlements.intent_id')
      .execute(),
    db
      .selectFrom('orders')
      .innerJoin('flags', 'flags.order_id', 'orders.id')
      .select([
        'flags.id',
        'flags.order_id',
        'orders.waybill',
        'orders.courier_id',
        'flags.kind',
        'flags.intent_id',
        'flags.transaction_id',
        'flags.amount_fen',
        'flags.note',
        'flags.created_ms',
        'flags.resolved_ms',
      ])
      .where('orders.depot_id', '=', depotId)
      .where('orders.route_date', '=', date)
      .where('flags.depot_id', '=', depotId)
      .orderBy('flags.created_ms', 'desc')
      .orderBy('flags.id')
      .execute(),
    db
      .selectFrom('dashboard_rejections')
      // Only this depot's orders: a device may name another depot's order, and that is refused, not shown.
      .leftJoin('orders', (join) =>
        join.onRef('orders.id', '=', 'dashboard_rejections.order_id').on('orders.depot_id', '=', depotId),
      )
      .select([
        'dashboard_rejections.device_id',
        'dashboard_rejections.seq',
        'dashboard_rejections.event_id',
        'dashboard_rejections.type',
        'dashboard_rejections.order_id',
        'orders.waybill',
        'dashboard_rejections.courier_id',
        'dashboard_rejections.reason',
        'dashboard_rejections.occurred_at',
        'dashboard_rejections.received_ms',
      ])
      .where('dashboard_rejections.depot_id', '=', depotId)
      .where('dashboard_rejections.route_date', '=', date)
      .orderBy('dashboard_rejections.occurred_ms', 'desc')
      .orderBy('dashboard_rejections.device_id')
      .orderBy('dashboard_rejections.seq', 'desc')
      .limit(REJECTIONS_SHOWN)
      .execute(),
    couriersOfDepot(db, depotId),
  ])
  // A row of a kind or status this version does not know is left out, not answered as a 500.
  const settlementItems = settlements.flatMap((row) => {
    const kind = storedOption(SettlementItem.shape.kind, row.kind)
    const status = storedOption(SettlementStatus, row.status)
    if (kind === null || status === null) return []
    return [
      {
        intentId: row.intent_id,
        orderId: row.order_id,
        waybill: row.waybill,
        courier: courierRef(couriers, row.courier_id),
        kind,
        claimedFen: storedFen(row.claimed_fen),
        status,
        transactionId: row.transaction_id,
        attempts: storedCount(row.attempts),
        lastError: row.last_error,
        createdAt: storedTimestampOrEpoch(null, row.created_ms),
        settledAt: storedInstant(row.settled_ms),
      },
    ]
  })
  const flagItems = flags.flatMap((row) => {
    const kind = storedOption(FlagKind, row.kind)
    if (kind === null) return []
    return [
      {
        flagId: row.id,
        orderId: row.order_id,
        waybill: row.waybill,
        courier: courierRef(couriers, row.courier_id),
        kind,
        refund: REFUND_KINDS.has(kind),
        intentId: row.intent_id,
        transactionId: row.transaction_id,
        amountFen: storedFen(row.amount_fen),
        note: row.note,
        createdAt: storedTimestampOrEpoch(null, row.created_ms),
        resolvedAt: storedInstant(row.resolved_ms),
      },
    ]
  })
  return {
    date,
    generatedAt: new Date(nowMs).toISOString(),
    settlements: settlementItems,
    flags: flagItems,
    rejections: rejections.map((row) => ({
      deviceId: row.device_id,
      seq: row.seq,
      eventId: row.event_id,
      type: row.type,
      orderId: row.order_id,
      waybill: row.waybill ?? null,
      courier: row.courier_id ? courierRef(couriers, row.courier_id) : null,
      reason: row.reason,
      occurredAt: storedTimestampOrEpoch(row.occurred_at),
      receivedAt: storedTimestampOrEpoch(null, row.received_ms),
    })),
  }
}
