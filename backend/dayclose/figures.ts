import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import { canonicalDayCloseFigures, type DayDiscrepancy, type DayCloseFigures } from '../../shared/api/day-close'
import type { Trx } from '../db/connect'
import type { CashOwed } from '../../shared/api/dashboard'
import type { BackendSchema } from '../db/schema'
import { storedCount, storedSigned, storedTotal } from '../dashboard/stored'

type Db = Kysely<BackendSchema> | Trx

/** SHA-256, hex, of the figures' canonical form (`canonicalDayCloseFigures` in `shared/api/day-close.ts`). */
export function dayChecksum(figures: DayCloseFigures): string {
  return createHash('sha256').update(canonicalDayCloseFigures(figures), 'utf8').digest('hex')
}

/** The couriers with a day to report: a route that day, activity, or a hand-in. */
export async function couriersOfDay(db: Db, depotId: string, date: string): Promise<string[]> {
  const [routes, days, handins] = await Promise.all([
    db
      .selectFrom('routes')
      .select('courier_id')
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .execute(),
    db
      .selectFrom('dashboard_courier_days')
      .select('courier_id')
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .execute(),
    db
      .selectFrom('cash_handins')
      .select('courier_id')
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .execute(),
  ])
  return [...new Set([...routes, ...days, ...handins].map((row) => row.courier_id))].sort()
}

/** Cash deliveries of the day where the customer handed over less than due, as the courier confirmed it. */
export function shortfallsOfDay(db: Db, depotId: string, date: string) {
  return db
    .selectFrom('orders')
    .innerJoin('delivery_attempts', 'delivery_attempts.order_id', 'orders.id')
    .innerJoin('shifts', 'shifts.id', 'delivery_attempts.shift_id')
    .select(['shifts.courier_id', 'orders.waybill', 'delivery_attempts.due_fen', 'delivery_attempts.collected_fen'])
    .where('orders.depot_id', '=', depotId)
    .where('orders.route_date', '=', date)
    .where('delivery_attempts.outcome', '=', 'delivered')
    .where('delivery_attempts.method', '=', 'cash')
    .whereRef('delivery_attempts.collected_fen', '<', 'delivery_attempts.due_fen')
    .execute()
}

/** "To be verified" payments of the day the acquirer never saw, with the flag they raised. */
export function unverifiedOwedOfDay(db: Db, depotId: string, date: string) {
  return db
    .selectFrom('orders')
    .innerJoin('settlements', 'settlements.order_id', 'orders.id')
    .innerJoin('shifts', 'shifts.id', 'settlements.shift_id')
    .leftJoin('flags', (join) =>
      join
        .onRef('flags.intent_id', '=', 'settlements.intent_id')
        .on('flags.kind', '=', 'unverified_not_found')
        .on('flags.depot_id', '=', depotId),
    )
    .select(['shifts.courier_id', 'orders.waybill', 'settlements.claimed_fen', 'flags.id as flag_id'])
    .where('orders.depot_id', '=', depotId)
    .where('orders.route_date', '=', date)
    .where('settlements.kind', '=', 'unverified')
    .where('settlements.status', '=', 'not_found')
    .execute()
}

/** Per courier, what they owe besides the cash taken: shortfalls at the door and payments never seen. */
export async function owedOfDay(db: Db, depotId: string, date: string): Promise<Map<string, CashOwed>> {
  const [shortfalls, owed] = await Promise.all([
    shortfallsOfDay(db, depotId, date),
    unverifiedOwedOfDay(db, depotId, date),
  ])
  const out = new Map<string, CashOwed>()
  const of = (courierId: string): CashOwed => {
    let entry = out.get(courierId)
    if (!entry)
      out.set(courierId, (entry = { shortfallCount: 0, shortfallFen: 0, unverifiedCount: 0, unverifiedFen: 0 }))
    return entry
  }
  for (const row of shortfalls) {
    const entry = of(row.courier_id)
    entry.shortfallCount += 1
    entry.shortfallFen = storedTotal(entry.shortfallFen + storedTotal(Number(row.due_fen) - Number(row.collected_fen)))
  }
  for (const row of owed) {
    const entry = of(row.courier_id)
    entry.unverifiedCount += 1
    entry.unverifiedFen = storedTotal(entry.unverifiedFen + storedTotal(row.claimed_fen))
  }
  return out
}

const discrepancyOrder = (a: DayDiscrepancy, b: DayDiscrepancy): number =>
  a.kind.localeCompare(b.kind) || (a.waybill ?? '').localeCompare(b.waybill ?? '') || a.amountFen - b.amountFen

/**
 * The live figures of each courier's day, read from the summaries and the base tables (indexed by depot and
 * day): deliveries by method, refunds, shortfalls at the door, "to be verified" money never seen, the hand-in.
 * Stored values are brought into range, so nothing stored makes this throw.
 */
export async function liveDayFigures(
  db: Db,
  depotId: string,
  date: string,
  couriers: ReadonlyMap<string, { staffId: string }>,
  courierIds: readonly string[],
): Promise<Map<string, DayCloseFigures>> {
  if (courierIds.length === 0) return new Map()
  const [days, handins, shortfalls, owed, refunds, resolutions] = await Promise.all([
    db
      .selectFrom('dashboard_courier_days')
      .selectAll()
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .where('courier_id', 'in', courierIds)
      .execute(),
    db
      .selectFrom('cash_handins')
      .selectAll()
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .where('courier_id', 'in', courierIds)
      .execute(),
    shortfallsOfDay(db, depotId, date),
    unverifiedOwedOfDay(db, depotId, date),
    db
      .selectFrom('orders')
      .innerJoin('refunds', 'refunds.order_id', 'orders.id')
      .select(['orders.courier_id', 'refunds.amount_fen', 'refunds.status'])
      .where('orders.depot_id', '=', depotId)
      .where('orders.route_date', '=', date)
      .where('refunds.depot_id', '=', depotId)
      .execute(),
    db
      .selectFrom('attention_resolutions')
      .select(['item_id', 'note'])
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .execute(),
  ])
  const noteOf = new Map(resolutions.map((row) => [row.item_id, row.note]))
  const out = new Map<string, DayCloseFigures>()
  for (const courierId of courierIds) {
    const day = days.find((row) => row.courier_id === courierId)
    const handin = handins.find((row) => row.courier_id === courierId)
    const cashFen = storedTotal(day?.cash_fen ?? 0)
    const receivedFen = handin ? storedTotal(handin.received_fen) : null
    const discrepancies: DayDiscrepancy[] = []
    let shortfallCount = 0
    let shortfallFen = 0
    for (const row of shortfalls.filter((r) => r.courier_id === courierId)) {
      const short = storedTotal(Number(row.due_fen) - Number(row.collected_fen))
      shortfallCount += 1
      shortfallFen += short
      discrepancies.push({ kind: 'shortfall', amountFen: -short, waybill: row.waybill, note: null })
    }
    let owedCount = 0
    let owedFen = 0
    for (const row of owed.filter((r) => r.courier_id === courierId)) {
      const amount = storedTotal(row.claimed_fen)
      owedCount += 1
      owedFen += amount
      const note = row.flag_id ? (noteOf.get(`flag:${row.flag_id}`) ?? null) : null
      discrepancies.push({ kind: 'owed_unverified', amountFen: -amount, waybill: row.waybill, note })
    }
    let refundCount = 0
    let refundedFen = 0
    let refundPendingFen = 0
    for (const row of refunds.filter((r) => r.courier_id === courierId)) {
      refundCount += 1
      if (row.status === 'succeeded') refundedFen += storedTotal(row.amount_fen)
      else refundPendingFen += storedTotal(row.amount_fen)
    }
    const handinDifferenceFen = receivedFen === null ? null : storedSigned(receivedFen - cashFen)
    if (handinDifferenceFen !== null && handinDifferenceFen !== 0) {
      discrepancies.push({ kind: 'handin', amountFen: handinDifferenceFen, waybill: null, note: handin?.note ?? null })
    }
    out.set(courierId, {
      date,
      courierId,
      staffId: couriers.get(courierId)?.staffId ?? courierId,
      delivered: storedCount(day?.delivered ?? 0),
      failed: storedCount(day?.failed ?? 0),
      digitalCount: storedCount(day?.digital_count ?? 0),
      digitalFen: storedTotal(day?.digital_fen ?? 0),
      digitalAwaitingCount: storedCount(day?.digital_awaiting_count ?? 0),
      digitalAwaitingFen: storedTotal(day?.digital_awaiting_fen ?? 0),
      cashCount: storedCount(day?.cash_count ?? 0),
      cashFen,
      prepaidCount: storedCount(day?.prepaid_count ?? 0),
      refundCount,
      refundedFen: storedTotal(refundedFen),
      refundPendingFen: storedTotal(refundPendingFen),
      shortfallCount,
      shortfallFen: storedTotal(shortfallFen),
      owedCount,
      owedFen: storedTotal(owedFen),
      declaredFen: day?.declared_fen === null || day?.declared_fen === undefined ? null : storedTotal(day.declared_fen),
      receivedFen,
      handinDifferenceFen,
      discrepancies: discrepancies.sort(discrepancyOrder),
      closedBy: null,
      closedMs: null,
    })
  }
  return out
}
