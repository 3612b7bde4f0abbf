import { sql, type RawBuilder } from 'kysely'
import type { BackendContext } from '../context'
import { chunks, insertRows } from '../db/bulk'
import type { DatabaseKind, Trx } from '../db/connect'
import type { DeviceEventTable, OrderTable } from '../db/schema'
import type { AfterCommit } from '../db/transaction'
import type { BatchEffects, BatchState } from '../events/rules'
import { announceDashboardChange } from './live'
import type { DashboardCourierDayTable, DashboardOrderTimeTable, DashboardRejectionTable } from './schema'

/**
 * Upkeep of the dashboard's summary tables, called inside the transaction that records the facts, so a summary
 * never runs ahead of or behind them. Every call adds only what that transaction newly recorded (fresh events
 * of a batch, a first acquirer payment), and ingest never records an event twice, so a replayed batch, a
 * duplicate or a redelivered notification adds nothing. Counters move by increments in the database, never by
 * read-modify-write, so two transactions touching one courier's day (a push and a webhook) both count.
 */

/** Rows per multi-row upsert: well inside both databases' bound-parameter limits. */
const CHUNK = 100

type DayKey = `${string}|${string}|${string}`
type CourierDelta = Omit<DashboardCourierDayTable, 'declared_fen' | 'declared_at' | 'declared_ms'> & {
  declared_fen: number | null
  declared_at: string | null
  declared_ms: number | null
}

const earlier = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b)
const later = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b))

/** `case` expressions both SQLite and PostgreSQL read: the smaller or larger of the stored and the new value. */
const keepEarlier = (table: string, column: string): RawBuilder<number | null> =>
  sql<
    number | null
  >`case when ${sql.ref(`${table}.${column}`)} is null or (${sql.ref(`excluded.${column}`)} is not null and ${sql.ref(`excluded.${column}`)} < ${sql.ref(`${table}.${column}`)}) then ${sql.ref(`excluded.${column}`)} else ${sql.ref(`${table}.${column}`)} end`
const keepLater = (table: string, column: string): RawBuilder<number | null> =>
  sql<
    number | null
  >`case when ${sql.ref(`${table}.${column}`)} is null or (${sql.ref(`excluded.${column}`)} is not null and ${sql.ref(`excluded.${column}`)} > ${sql.ref(`${table}.${column}`)}) then ${sql.ref(`excluded.${column}`)} else ${sql.ref(`${table}.${column}`)} end`
const plus = (table: string, column: string): RawBuilder<number> =>
  sql<number>`${sql.ref(`${table}.${column}`)} + ${sql.ref(`excluded.${column}`)}`

function emptyDay(depotId: string, routeDate: string, courierId: string): CourierDelta {
  return {
    depot_id: depotId,
    route_date: routeDate,
    courier_id: courierId,
    delivered: 0,
    failed: 0,
    digital_count: 0,
    digital_fen: 0,
    digital_awaiting_count: 0,
    digital_awaiting_fen: 0,
    cash_count: 0,
    cash_fen: 0,
    prepaid_count: 0,
    declared_fen: null,
    declared_at: null,
    declared_ms: null,
    first_action_ms: null,
    last_action_ms: null,
  }
}

/** Adds one courier-day's deltas: counters by increment, first/last action by min/max, the latest declaration. */
async function upsertCourierDays(trx: Trx, kind: DatabaseKind, days: readonly CourierDelta[]): Promise<void> {
  const t = 'dashboard_courier_days'
  for (const part of chunks(days, CHUNK)) {
    await (
      await insertRows(trx, kind, t, part)
    )
      .onConflict((conflict) =>
        conflict.columns(['depot_id', 'route_date', 'courier_id']).doUpdateSet({
          delivered: plus(t, 'delivered'),
          failed: plus(t, 'failed'),
          digital_count: plus(t, 'digital_count'),
          digital_fen: plus(t, 'digital_fen'),
          digital_awaiting_count: plus(t, 'digital_awaiting_count'),
          digital_awaiting_fen: plus(t, 'digital_awaiting_fen'),
          cash_count: plus(t, 'cash_count'),
          cash_fen: plus(t, 'cash_fen'),
          prepaid_count: plus(t, 'prepaid_count'),
          first_action_ms: keepEarlier(t, 'first_action_ms'),
          last_action_ms: keepLater(t, 'last_action_ms'),
          // The declaration with the latest courier time wins; one made at the same moment, ingested later, too.
          declared_fen: sql<
            number | null
          >`case when excluded.declared_ms is not null and (${sql.ref(`${t}.declared_ms`)} is null or excluded.declared_ms >= ${sql.ref(`${t}.declared_ms`)}) then excluded.declared_fen else ${sql.ref(`${t}.declared_fen`)} end`,
          declared_at: sql<
            string | null
          >`case when excluded.declared_ms is not null and (${sql.ref(`${t}.declared_ms`)} is null or excluded.declared_ms >= ${sql.ref(`${t}.declared_ms`)}) then excluded.declared_at else ${sql.ref(`${t}.declared_at`)} end`,
          declared_ms: keepLater(t, 'declared_ms'),
        }),
      )
      .execute()
  }
}

/**
 * Adds what a batch of a device's fresh events recorded: scans and closes per order, the courier-day counters
 * (deliveries by method, cash, digital confirmed or awaiting, failures by reason, declarations) and rejected
 * events. `rows` are the batch's stored events; `effects` what judging them recorded; `state` the orders,
 * shifts and acquirer payments as judging left them.
 */
export async function summariseIngestedBatch(
  context: Pick<BackendContext, 'hub' | 'database'>,
  trx: Trx,
  after: AfterCommit,
  batch: {
    deviceId: string
    depotId: string
    rows: readonly DeviceEventTable[]
    state: BatchState
    effects: BatchEffects
  },
): Promise<void> {
  const { state, effects } = batch
  const days = new Map<DayKey, CourierDelta>()
  const dayOf = (depotId: string, routeDate: string, courierId: string): CourierDelta => {
    const key: DayKey = `${depotId}|${routeDate}|${courierId}`
    let day = days.get(key)
    if (!day) days.set(key, (day = emptyDay(depotId, routeDate, courierId)))
    return day
  }
  const touch = (day: CourierDelta, ms: number): void => {
    day.first_action_ms = earlier(day.first_action_ms, ms)
    day.last_action_ms = later(day.last_action_ms, ms)
  }
  const times = new Map<string, DashboardOrderTimeTable>()
  const timeOf = (orderId: string, courierId: string): DashboardOrderTimeTable | null => {
    const order = state.orders.get(orderId)
    if (!order) return null
    let row = times.get(orderId)
    if (!row) {
      row = {
        order_id: order.id,
        depot_id: order.depot_id,
        route_date: order.route_date,
        courier_id: courierId,
        stop_id: order.stop_id,
        first_scan_ms: null,
        closed_ms: null,
        outcome: null,
      }
      times.set(orderId, row)
    }
    return row
  }
  const failures = new Map<
    string,
    { depot_id: string; route_date: string; courier_id: string; reason: string; failed: number }
  >()
  const rejections: DashboardRejectionTable[] = []

  for (const row of batch.rows) {
    const shift = state.shifts.get(row.shift_id)
    if (row.status === 'rejected') {
      const own = shift && shift.device_id === batch.deviceId ? shift : null
      rejections.push({
        device_id: row.device_id,
        seq: row.seq,
        depot_id: batch.depotId,
        // Without a shift of this device, the day the courier's own clock gave.
        route_date: own?.route_date ?? row.occurred_at.slice(0, 10),
        courier_id: own?.courier_id ?? null,
        event_id: row.event_id,
        type: row.type,
        order_id: row.order_id,
        reason: row.reason ?? 'unknown',
        occurred_at: row.occurred_at,
        occurred_ms: row.occurred_ms,
        received_ms: row.received_ms,
      })
      continue
    }
    if (row.status !== 'applied' || row.type !== 'parcel.scanned' || !shift || !row.order_id) continue
    const time = timeOf(row.order_id, shift.courier_id)
    if (!time) continue
    time.first_scan_ms = earlier(time.first_scan_ms, row.occurred_ms)
    touch(dayOf(time.depot_id, time.route_date, shift.courier_id), row.occurred_ms)
  }

  for (const attempt of effects.attempts) {
    const shift = state.shifts.get(attempt.shift_id)
    const order = state.orders.get(attempt.order_id)
    if (!shift || !order) continue
    const time = timeOf(order.id, shift.courier_id)!
    time.courier_id = shift.courier_id
    time.closed_ms = later(time.closed_ms, attempt.occurred_ms)
    time.outcome = attempt.outcome
    const day = dayOf(order.depot_id, order.route_date, shift.courier_id)
    touch(day, attempt.occurred_ms)
    if (attempt.outcome === 'failed') {
      day.failed++
      const reason = attempt.failure_reason ?? 'unknown'
      const key = `${order.depot_id}|${order.route_date}|${shift.courier_id}|${reason}`
      const failure = failures.get(key) ?? {
        depot_id: order.depot_id,
        route_date: order.route_date,
        courier_id: shift.courier_id,
        reason,
        failed: 0,
      }
      failure.failed++
      failures.set(key, failure)
      continue
    }
    day.delivered++
    if (attempt.method === 'cash') {
      day.cash_count++
      day.cash_fen += attempt.collected_fen
    } else if (attempt.method === 'prepaid') {
      day.prepaid_count++
    } else if (attempt.method === 'digital') {
      day.digital_count++
      // Digital money counts from the acquirer's confirmation only: already recorded, or awaited until it is.
      const confirmed = state.payments.get(order.id)?.[0]
      if (confirmed) day.digital_fen += confirmed.amount_fen
      else {
        day.digital_awaiting_count++
        day.digital_awaiting_fen += attempt.collected_fen
      }
    } else if (attempt.method === 'split') {
      // Two collections: the cash part is cash taken, the digital part counts from its own intent's payment.
      day.cash_count++
      day.cash_fen += attempt.collected_fen
      day.digital_count++
      const part = state.payments.get(order.id)?.find((payment) => payment.intent_id === attempt.intent_id)
      if (part) day.digital_fen += part.amount_fen
      else {
        day.digital_awaiting_count++
        day.digital_awaiting_fen += attempt.due_fen - attempt.collected_fen
      }
    }
  }

  // An undo takes back what its completion added: counters move down by the same increments.
  const reopened: string[] = []
  for (const attempt of effects.undone) {
    const order = state.orders.get(attempt.order_id)
    const shift = state.shifts.get(attempt.shift_id)
    if (!order) continue
    const courierId = shift?.courier_id ?? order.courier_id
    const day = dayOf(order.depot_id, order.route_date, courierId)
    reopened.push(order.id)
    if (attempt.outcome === 'failed') {
      day.failed--
      const reason = attempt.failure_reason ?? 'unknown'
      const key = `${order.depot_id}|${order.route_date}|${courierId}|${reason}`
      const failure = failures.get(key) ?? {
        depot_id: order.depot_id,
        route_date: order.route_date,
        courier_id: courierId,
        reason,
        failed: 0,
      }
      failure.failed--
      failures.set(key, failure)
      continue
    }
    day.delivered--
    if (attempt.method === 'cash') {
      day.cash_count--
      day.cash_fen -= attempt.collected_fen
    } else if (attempt.method === 'prepaid') {
      day.prepaid_count--
    }
  }

  for (const declaration of effects.cashDeclarations) {
    const { shift } = declaration
    const day = dayOf(shift.depot_id, shift.route_date, shift.courier_id)
    if (day.declared_ms === null || declaration.declaredMs >= day.declared_ms) {
      day.declared_fen = declaration.declaredFen
      day.declared_at = declaration.declaredAt
      day.declared_ms = declaration.declaredMs
    }
  }

  const t = 'dashboard_order_times'
  const kind = context.database.kind
  for (const part of chunks([...times.values()], CHUNK)) {
    await (
      await insertRows(trx, kind, t, part)
    )
      .onConflict((conflict) =>
        conflict.column('order_id').doUpdateSet({
          courier_id: sql<string>`excluded.courier_id`,
          first_scan_ms: keepEarlier(t, 'first_scan_ms'),
          closed_ms: keepLater(t, 'closed_ms'),
          outcome: sql<'delivered' | 'failed' | null>`coalesce(excluded.outcome, ${sql.ref(`${t}.outcome`)})`,
        }),
      )
      .execute()
  }
  // Reopened orders are open again: no close time, no outcome, until the next completion sets them.
  for (const orderId of reopened) {
    if (times.get(orderId)?.outcome) continue
    await trx.updateTable(t).set({ closed_ms: null, outcome: null }).where('order_id', '=', orderId).execute()
  }
  await upsertCourierDays(trx, kind, [...days.values()])
  for (const part of chunks([...failures.values()], CHUNK)) {
    await (
      await insertRows(trx, kind, 'dashboard_failures', part)
    )
      .onConflict((conflict) =>
        conflict
          .columns(['depot_id', 'route_date', 'courier_id', 'reason'])
          .doUpdateSet({ failed: plus('dashboard_failures', 'failed') }),
      )
      .execute()
  }
  for (const part of chunks(rejections, CHUNK)) {
    await (
      await insertRows(trx, kind, 'dashboard_rejections', part)
    )
      .onConflict((conflict) => conflict.columns(['device_id', 'seq']).doNothing())
      .execute()
  }
  // Even a batch of scans only changes what the depot sees (last contact, progress).
  await announceDashboardChange(context, trx, after, batch.depotId)
}

/**
 * Called where the acquirer's payment is recorded, inside that transaction, with the order locked: the first
 * payment that went through for an order already delivered digitally moves its amount from "awaiting" to
 * confirmed digital money. A later payment (a double payment, one after cash) is a refund to make, never money
 * collected; an order not yet delivered is counted when its delivery is ingested.
 */
export async function summariseAcquirerPayment(
  context: Pick<BackendContext, 'hub'>,
  trx: Trx,
  after: AfterCommit,
  payment: {
    /** The paid order's row as the payment's transaction read it (locked, on PostgreSQL). */
    order: Pick<OrderTable, 'id' | 'depot_id' | 'route_date' | 'status' | 'delivered_method'>
    amountFen: number
    firstForOrder: boolean
  },
): Promise<void> {
  const { order } = payment
  const split = order.delivered_method === 'split'
  if (payment.firstForOrder && order.status === 'delivered' && (order.delivered_method === 'digital' || split)) {
    const attempt = await trx
      .selectFrom('delivery_attempts')
      .innerJoin('shifts', 'shifts.id', 'delivery_attempts.shift_id')
      .select(['delivery_attempts.collected_fen', 'delivery_attempts.due_fen', 'shifts.courier_id'])
      .where('delivery_attempts.order_id', '=', order.id)
      .where('delivery_attempts.outcome', '=', 'delivered')
      .executeTakeFirst()
    if (attempt) {
      await trx
        .updateTable('dashboard_courier_days')
        .set((eb) => ({
          digital_fen: eb('digital_fen', '+', payment.amountFen),
          // A split awaited only its digital part; its cash part was counted as cash.
          digital_awaiting_fen: eb(
            'digital_awaiting_fen',
            '-',
            split ? attempt.due_fen - attempt.collected_fen : attempt.collected_fen,
          ),
          digital_awaiting_count: eb('digital_awaiting_count', '-', 1),
        }))
        .where('depot_id', '=', order.depot_id)
        .where('route_date', '=', order.route_date)
        .where('courier_id', '=', attempt.courier_id)
        .execute()
    }
  }
  await announceDashboardChange(context, trx, after, order.depot_id)
}
