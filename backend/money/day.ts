import type { Kysely } from 'kysely'
import { emptyMoneyFigures, type MoneyDayResponse, type MoneyFigures } from '../../shared/api/closure'
import { courierRef, couriersOfDepot } from '../dashboard/couriers'
import { storedFen } from '../dashboard/stored'
import type { BackendSchema } from '../db/schema'
import { REFUND_FLAG_KINDS } from '../refunds/handlers'

/** Totals are sums of orders; one beyond the safe integers is held there rather than answered wrong. */
const add = (total: number, fen: number) => Math.min(Number.MAX_SAFE_INTEGER, total + fen)

/**
 * The day's money as it truly stands (issue 12, section 7), from the base tables by the orders' route day: digital
 * is what the acquirer confirmed (every payment that went through, a double one included, since it is money held
 * until refunded); a digital delivery without one is awaiting while its claim is open and owed once the acquirer
 * said it has no such payment; refunds due are approved or flagged and not yet paid back; net is collected less
 * refunds paid. Per courier by the order's courier.
 */
export async function moneyOfDay(
  db: Kysely<BackendSchema>,
  depotId: string,
  date: string,
  nowMs: number,
): Promise<MoneyDayResponse> {
  const [routes, payments, attempts, settlements, refunds, flags, couriers] = await Promise.all([
    // Every courier with orders that day is listed, money or none.
    db
      .selectFrom('orders')
      .select('courier_id')
      .distinct()
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .execute(),
    db
      .selectFrom('payments')
      .innerJoin('orders', 'orders.id', 'payments.order_id')
      .where('orders.depot_id', '=', depotId)
      .where('orders.route_date', '=', date)
      .select(['payments.order_id', 'payments.amount_fen', 'orders.courier_id'])
      .where('payments.outcome', '=', 'succeeded')
      .execute(),
    db
      .selectFrom('delivery_attempts')
      .innerJoin('orders', 'orders.id', 'delivery_attempts.order_id')
      .where('orders.depot_id', '=', depotId)
      .where('orders.route_date', '=', date)
      .select([
        'delivery_attempts.order_id',
        'delivery_attempts.method',
        'delivery_attempts.collected_fen',
        'delivery_attempts.due_fen',
        'orders.courier_id',
      ])
      .where('delivery_attempts.outcome', '=', 'delivered')
      .execute(),
    db
      .selectFrom('settlements')
      .innerJoin('orders', 'orders.id', 'settlements.order_id')
      .where('orders.depot_id', '=', depotId)
      .where('orders.route_date', '=', date)
      .select(['settlements.order_id', 'settlements.claimed_fen', 'settlements.status'])
      .where('settlements.kind', '=', 'unverified')
      .execute(),
    db
      .selectFrom('refunds')
      .innerJoin('orders', 'orders.id', 'refunds.order_id')
      .where('orders.depot_id', '=', depotId)
      .where('orders.route_date', '=', date)
      .select([
        'refunds.flag_id',
        'refunds.transaction_id',
        'refunds.amount_fen',
        'refunds.status',
        'orders.courier_id',
      ])
      .execute(),
    db
      .selectFrom('flags')
      .innerJoin('orders', 'orders.id', 'flags.order_id')
      .where('orders.depot_id', '=', depotId)
      .where('orders.route_date', '=', date)
      .select([
        'flags.id',
        'flags.kind',
        'flags.transaction_id',
        'flags.amount_fen',
        'flags.resolved_ms',
        'orders.courier_id',
      ])
      .execute(),
    couriersOfDepot(db, depotId),
  ])
  const figures = new Map<string, MoneyFigures>()
  const of = (courierId: string) => {
    let entry = figures.get(courierId)
    if (!entry) figures.set(courierId, (entry = emptyMoneyFigures()))
    return entry
  }
  for (const route of routes) of(route.courier_id)
  const paidOrders = new Set<string>()
  for (const payment of payments) {
    const entry = of(payment.courier_id)
    entry.digitalConfirmedFen = add(entry.digitalConfirmedFen, storedFen(payment.amount_fen))
    entry.digitalConfirmedCount++
    paidOrders.add(payment.order_id)
  }
  const notFound = new Map<string, number>()
  for (const settlement of settlements) {
    if (settlement.status === 'not_found') notFound.set(settlement.order_id, storedFen(settlement.claimed_fen))
  }
  for (const attempt of attempts) {
    const entry = of(attempt.courier_id)
    const fen = storedFen(attempt.collected_fen)
    if (attempt.method === 'cash') entry.cashFen = add(entry.cashFen, fen)
    else if (attempt.method === 'split') {
      // The cash part is cash taken; the digital part is counted above once its intent's payment is recorded.
      entry.cashFen = add(entry.cashFen, fen)
      if (!paidOrders.has(attempt.order_id)) {
        entry.digitalAwaitingFen = add(entry.digitalAwaitingFen, storedFen(attempt.due_fen) - fen)
      }
    } else if (attempt.method === 'digital' && !paidOrders.has(attempt.order_id)) {
      const owed = notFound.get(attempt.order_id)
      if (owed !== undefined) {
        entry.owedFen = add(entry.owedFen, owed)
        entry.owedCount++
      } else entry.digitalAwaitingFen = add(entry.digitalAwaitingFen, fen)
    }
  }
  const refunded = new Set<string>()
  for (const refund of refunds) {
    const entry = of(refund.courier_id)
    const fen = storedFen(refund.amount_fen)
    if (refund.flag_id) refunded.add(refund.flag_id)
    refunded.add(`tx:${refund.transaction_id}`)
    if (refund.status === 'succeeded') {
      entry.refundsPaidFen = add(entry.refundsPaidFen, fen)
      entry.refundsPaidCount++
    } else {
      entry.refundsDueFen = add(entry.refundsDueFen, fen)
      entry.refundsDueCount++
    }
  }
  for (const flag of flags) {
    if (!REFUND_FLAG_KINDS.includes(flag.kind) || flag.resolved_ms !== null) continue
    if (refunded.has(flag.id) || refunded.has(`tx:${flag.transaction_id}`)) continue
    const entry = of(flag.courier_id)
    entry.refundsDueFen = add(entry.refundsDueFen, storedFen(flag.amount_fen))
    entry.refundsDueCount++
  }
  const totals = emptyMoneyFigures()
  const rows = [...figures.entries()].map(([courierId, entry]) => {
    entry.collectedFen = add(entry.digitalConfirmedFen, entry.cashFen)
    entry.netFen = entry.collectedFen - entry.refundsPaidFen
    for (const key of Object.keys(totals) as (keyof MoneyFigures)[]) totals[key] = add(totals[key], entry[key])
    return { courier: courierRef(couriers, courierId), ...entry }
  })
  totals.netFen = totals.collectedFen - totals.refundsPaidFen
  rows.sort(
    (a, b) =>
      a.courier.staffId.localeCompare(b.courier.staffId) || a.courier.courierId.localeCompare(b.courier.courierId),
  )
  return { date, generatedAt: new Date(nowMs).toISOString(), couriers: rows, totals }
}
