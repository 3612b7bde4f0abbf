import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { DeviceEvent, EventResult, PushEventsResponse } from '../../shared/api/events'
import { SEQUENCE_GAP } from '../../shared/api/events'
import type { BackendContext } from '../context'
import { summariseIngestedBatch } from '../dashboard/summary'
import { listLateEvents } from '../dayclose/late'
import { chunks, insertRows } from '../db/bulk'
import type { Trx } from '../db/connect'
import type { DepotTable, DeviceEventTable, OrderTable, PaymentTable, ShiftTable } from '../db/schema'
import { inTransaction, type AfterCommit } from '../db/transaction'
import { raiseFlag } from '../flags/store'
import { badRequest, conflict } from '../http/errors'
import { newId } from '../ids'
import { queueWithdrawals } from '../intents/withdrawals'
import { appendStreamMessage, deviceOfCourier } from '../stream/messages'
import { retiredDevice } from '../devices/auth'
import { courierTimeOf } from './courier-time'
import { judgeEvent, receiptKeyFrom, type BatchEffects, type BatchState } from './rules'

/**
 * Rows per multi-row statement: a whole batch of the core's (200) in one, and 250 device events of 15 columns are
 * 3,750 parameters, well inside SQLite's (32,766) and PostgreSQL's (65,535) limits.
 */
const INSERT_CHUNK = 250

/**
 * Writes the orders a batch changed in one statement (`UPDATE … FROM (VALUES …)`, which SQLite has since 3.33)
 * instead of one round trip each: a batch touches one order per stop. Every value is cast, since PostgreSQL
 * types a column of VALUES that holds only nulls (or parameters) as text.
 */
async function updateOrders(trx: Trx, orders: readonly OrderTable[]): Promise<void> {
  if (orders.length === 0) return
  const rows = orders.map(
    (o) =>
      sql`(${o.id}, ${o.status}, ${o.delivered_method}, ${o.collected_cash_fen}, ${o.closed_at}, ${o.closed_ms}, ${o.failure_reason})`,
  )
  // VALUES names its columns column1… on both databases (SQLite takes no column list after the alias).
  await sql`update orders set
      status = cast(changed.column2 as text),
      delivered_method = cast(changed.column3 as text),
      collected_cash_fen = cast(changed.column4 as bigint),
      closed_at = cast(changed.column5 as text),
      closed_ms = cast(changed.column6 as bigint),
      failure_reason = cast(changed.column7 as text)
    from (values ${sql.join(rows)}) as changed
    where orders.id = cast(changed.column1 as text)`.execute(trx)
}

const orderOf = (event: DeviceEvent): string | null =>
  'orderId' in event.payload ? (event.payload as { orderId: string }).orderId : null

/**
 * The attempts a batch's completions, failures and undos name: the rules look attempts up by exactly these keys.
 * Asked for by attempt number as well as order, which matches the key in full, so PostgreSQL reads the primary key
 * even while the table has no statistics yet (by order alone it guessed half the table and scanned all of it).
 */
function attemptsNamed(events: readonly DeviceEvent[]): { orderIds: string[]; attempts: number[] } {
  const orderIds = new Set<string>()
  const attempts = new Set<number>()
  for (const event of events) {
    if (event.type === 'delivery.completed' || event.type === 'delivery.failed' || event.type === 'delivery.undone') {
      orderIds.add(event.payload.orderId)
      attempts.add(event.payload.attempt)
    }
  }
  return { orderIds: [...orderIds], attempts: [...attempts] }
}

/** Loads what judging the batch needs in a handful of queries, keyed by the IDs the events mention. */
async function loadState(
  trx: Trx,
  kind: 'sqlite' | 'postgres',
  deviceId: string,
  events: readonly DeviceEvent[],
  receiptKey: BatchState['receiptKey'],
  undoWindowMs: number,
  maxOrderFen: number,
): Promise<BatchState> {
  const shiftIds = [...new Set(events.map((e) => e.shiftId))]
  const orderIds = [...new Set(events.map(orderOf).filter((id): id is string => id !== null))]
  const parcelIds = [...new Set(events.flatMap((e) => (e.type === 'parcel.scanned' ? [e.payload.parcelId] : [])))]
  const recorded = attemptsNamed(events)
  const shifts = shiftIds.length ? await trx.selectFrom('shifts').selectAll().where('id', 'in', shiftIds).execute() : []
  const depotIds = [...new Set(shifts.map((s) => s.depot_id))]
  // The orders are locked first (PostgreSQL), so a payment being recorded for one of them meanwhile is either
  // committed before the reads below see the payments, or waits and then sees this batch's deliveries.
  const orders = orderIds.length
    ? await trx
        .selectFrom('orders')
        .selectAll()
        .where('id', 'in', orderIds)
        .orderBy('id')
        .$if(kind === 'postgres', (query) => query.forUpdate())
        .execute()
    : []
  const [depots, parcels, intents, attempts, payments] = await Promise.all([
    depotIds.length ? trx.selectFrom('depots').selectAll().where('id', 'in', depotIds).execute() : [],
    parcelIds.length ? trx.selectFrom('parcels').selectAll().where('id', 'in', parcelIds).execute() : [],
    orderIds.length ? trx.selectFrom('payment_intents').selectAll().where('order_id', 'in', orderIds).execute() : [],
    recorded.orderIds.length
      ? trx
          .selectFrom('delivery_attempts')
          .selectAll()
          .where('order_id', 'in', recorded.orderIds)
          .where('attempt', 'in', recorded.attempts)
          .execute()
      : [],
    orderIds.length
      ? trx
          .selectFrom('payments')
          .selectAll()
          .where('order_id', 'in', orderIds)
          .where('outcome', '=', 'succeeded')
          .execute()
      : [],
  ])
  const routeIds = [...new Set(shifts.map((s) => s.route_id).filter((id): id is string => id !== null))]
  const routeStops = new Map<string, string[]>()
  if (events.some((e) => e.type === 'stop.moved') && routeIds.length > 0) {
    const rows = await trx
      .selectFrom('stops')
      .select(['id', 'route_id'])
      .where('route_id', 'in', routeIds)
      .orderBy('sequence')
      .execute()
    for (const row of rows) routeStops.set(row.route_id, [...(routeStops.get(row.route_id) ?? []), row.id])
  }
  const bindingIds = [...new Set(events.flatMap((e) => (e.type === 'call.attempted' ? [e.payload.bindingId] : [])))]
  const callBindings = new Map(
    (bindingIds.length
      ? await trx.selectFrom('call_bindings').select(['id', 'order_id']).where('id', 'in', bindingIds).execute()
      : []
    ).map((row) => [row.id, { order_id: row.order_id }]),
  )
  const intentIds = intents.map((i) => i.id)
  const settlements = intentIds.length
    ? await trx.selectFrom('settlements').select(['intent_id', 'status']).where('intent_id', 'in', intentIds).execute()
    : []
  const unverifiedByShift = new Map<string, number>()
  if (events.some((e) => e.type === 'payment.unverified')) {
    const claimed = await trx
      .selectFrom('device_events')
      .select(['shift_id', 'payload'])
      .where('shift_id', 'in', shiftIds)
      .where('type', '=', 'payment.unverified')
      .where('status', '=', 'applied')
      .execute()
    for (const row of claimed) {
      const { amountFen } = JSON.parse(row.payload) as { amountFen: number }
      unverifiedByShift.set(row.shift_id, (unverifiedByShift.get(row.shift_id) ?? 0) + amountFen)
    }
  }
  const evidenceIds = [
    ...new Set(events.flatMap((e) => (e.type === 'proof.evidence_captured' ? [e.payload.evidenceId] : []))),
  ]
  const knownEvidence = evidenceIds.length
    ? await trx.selectFrom('evidence').select('id').where('id', 'in', evidenceIds).execute()
    : []
  const paymentsByOrder = new Map<string, PaymentTable[]>()
  for (const p of payments) paymentsByOrder.set(p.order_id, [...(paymentsByOrder.get(p.order_id) ?? []), p])
  return {
    deviceId,
    shifts: new Map(shifts.map((s): [string, ShiftTable] => [s.id, s])),
    depots: new Map(depots.map((d): [string, DepotTable] => [d.id, d])),
    orders: new Map(orders.map((o) => [o.id, o])),
    parcels: new Map(parcels.map((p) => [p.id, p])),
    intents: new Map(intents.map((i) => [i.id, i])),
    attempts: new Set(attempts.map((a) => `${a.order_id}:${a.attempt}`)),
    attemptRows: new Map(attempts.map((a) => [`${a.order_id}:${a.attempt}`, a])),
    undoWindowMs,
    routeStops,
    callBindings,
    payments: paymentsByOrder,
    settlements: new Map(settlements.map((s) => [s.intent_id, s])),
    unverifiedByShift,
    receiptKey,
    maxOrderFen,
    evidenceIds: new Set(knownEvidence.map((row) => row.id)),
  }
}

/**
 * Records a gap in a device's sequence, once per device and start, as a refused event on the depot's "needs
 * attention" list (one row at the gap's first sequence), and moves the device's acknowledged sequence past it.
 */
async function recordGap(
  context: BackendContext,
  trx: Trx,
  depotId: string,
  deviceId: string,
  from: number,
  to: number,
  now: number,
): Promise<number> {
  await trx
    .insertInto('device_gaps')
    .values({ device_id: deviceId, from_seq: from, to_seq: to, depot_id: depotId, recorded_ms: now })
    .onConflict((c) => c.columns(['device_id', 'from_seq']).doNothing())
    .execute()
  const shift = await trx
    .selectFrom('shifts')
    .select(['courier_id', 'route_date'])
    .where('device_id', '=', deviceId)
    .orderBy('started_ms', 'desc')
    .limit(1)
    .executeTakeFirst()
  const at = new Date(now).toISOString()
  await trx
    .insertInto('dashboard_rejections')
    .values({
      device_id: deviceId,
      seq: from,
      depot_id: depotId,
      route_date: shift?.route_date ?? at.slice(0, 10),
      courier_id: shift?.courier_id ?? null,
      event_id: randomUUID(),
      // Shown with the refused events: the type names the sequences that will never arrive.
      type: `sync.gap:${from}-${to}`,
      order_id: null,
      reason: 'sync.gap_skipped',
      occurred_at: at,
      occurred_ms: now,
      received_ms: now,
    })
    .onConflict((c) => c.columns(['device_id', 'seq']).doNothing())
    .execute()
  context.log.warn({ event: 'events.gap_skipped', deviceId, from, to }, 'device events accepted past a gap')
  await trx.updateTable('devices').set({ acked_seq: to }).where('id', '=', deviceId).execute()
  return to
}

/**
 * After a device swap, the old terminal's events still arrive and close orders the courier's new terminal shows
 * open: that terminal is told the route changed (one message per batch), so it fetches the backend's truth.
 */
async function tellOtherTerminals(
  context: BackendContext,
  trx: Trx,
  after: AfterCommit,
  deviceId: string,
  state: BatchState,
  effects: BatchEffects,
): Promise<void> {
  const byCourier = new Map<string, string>()
  for (const orderId of effects.changedOrders) {
    const order = state.orders.get(orderId)
    if (order && !byCourier.has(order.courier_id)) byCourier.set(order.courier_id, order.id)
  }
  for (const [courierId, orderId] of byCourier) {
    const target = await deviceOfCourier(trx, courierId)
    if (!target || target.deviceId === deviceId) continue
    const order = state.orders.get(orderId)!
    const route = order.route_id
      ? await trx.selectFrom('routes').select('version').where('id', '=', order.route_id).executeTakeFirst()
      : undefined
    await appendStreamMessage(context, trx, after, target, 'manifest', {
      shiftId: target.shiftId,
      orderId,
      change: 'updated',
      version: route?.version ?? 1,
    })
  }
}

/**
 * Applies a batch of a device's events in one transaction, each at most once:
 * - an event at a sequence already held is answered from what was stored (`duplicate`, or the original
 *   rejection), or rejected `events.sequence_reused` if another event held that sequence;
 * - a batch whose new events do not start right after the highest sequence held, or skip one, is refused
 *   whole with 409 `events.sequence_gap` and `details.expected`;
 * - every new event is judged (`rules.ts`) and stored applied or rejected with its reason; a rejection never
 *   touches the other events, and the highest sequence held moves past it either way.
 * The device row is locked first (PostgreSQL), so two pushes from one device apply one after the other.
 */
export async function ingestEvents(
  context: BackendContext,
  deviceId: string,
  batch: readonly DeviceEvent[],
  options: { gap?: { expected: number } } = {},
): Promise<PushEventsResponse> {
  const events = [...batch].sort((a, b) => a.seq - b.seq)
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.seq === events[i - 1]!.seq) {
      throw badRequest('events.bad_batch', `sequence ${events[i]!.seq} appears twice in the batch`, {
        seq: events[i]!.seq,
      })
    }
  }
  // Receipt signatures are checked on ingest with the acquirer's key, fetched once and then kept.
  const keys =
    context.acquirer.cachedKeys() ??
    (events.some((e) => e.type === 'payment.confirmed' && e.payload.receipt)
      ? await context.acquirer.keys().catch(() => null)
      : null)
  const receiptKey = receiptKeyFrom(keys)

  const outcome = await inTransaction(context.database, context.log, async (trx, after) => {
    const now = context.now()
    const device = await trx
      .updateTable('devices')
      .set({ last_contact_ms: now })
      .where('id', '=', deviceId)
      .returning(['acked_seq', 'depot_id', 'revoked_at', 'retired_by'])
      .executeTakeFirstOrThrow()
    // Checked again with the device's row locked: a push racing the depot's retire either commits before it or is
    // refused whole after it (the device keeps those events and says why), never half applied.
    if (device.revoked_at !== null) throw await retiredDevice({ db: trx }, device)
    let acked = device.acked_seq
    const gap = options.gap
    const firstFresh = events.find((e) => e.seq > acked)
    if (gap && gap.expected === acked + 1 && firstFresh && firstFresh.seq > gap.expected) {
      // The device no longer holds what the backend asks for: accept the batch past the gap, and tell the depot
      // which sequences will never arrive, rather than leave the device's queue stuck behind them for good.
      acked = await recordGap(context, trx, device.depot_id, deviceId, gap.expected, firstFresh.seq - 1, now)
    }

    const held = events.filter((e) => e.seq <= acked)
    const fresh = events.filter((e) => e.seq > acked)
    const expected = acked + 1
    const gapAt = fresh.findIndex((event, i) => event.seq !== expected + i)
    if (gapAt !== -1) {
      throw conflict(SEQUENCE_GAP, `expected sequence ${expected} next; ${expected + gapAt} is missing`, {
        expected,
        missing: expected + gapAt,
      })
    }

    const results = new Map<number, EventResult>()
    if (held.length > 0) {
      const stored = await trx
        .selectFrom('device_events')
        .select(['seq', 'event_id', 'status', 'reason'])
        .where('device_id', '=', deviceId)
        .where(
          'seq',
          'in',
          held.map((e) => e.seq),
        )
        .execute()
      const bySeq = new Map(stored.map((row) => [row.seq, row]))
      for (const event of held) {
        const row = bySeq.get(event.seq)
        const result: EventResult =
          row && row.event_id === event.eventId
            ? {
                seq: event.seq,
                eventId: event.eventId,
                status: row.status === 'rejected' ? 'rejected' : 'duplicate',
                reason: row.status === 'rejected' ? row.reason : null,
              }
            : { seq: event.seq, eventId: event.eventId, status: 'rejected', reason: 'events.sequence_reused' }
        results.set(event.seq, result)
      }
    }
    if (fresh.length === 0) return { results, acked, effects: null, depotId: device.depot_id }

    const known = new Set(
      (
        await trx
          .selectFrom('device_events')
          .select('event_id')
          .where('device_id', '=', deviceId)
          .where(
            'event_id',
            'in',
            fresh.map((e) => e.eventId),
          )
          .execute()
      ).map((row) => row.event_id),
    )
    const state = await loadState(
      trx,
      context.database.kind,
      deviceId,
      fresh,
      receiptKey,
      context.config.undoWindowMs,
      context.config.maxOrderFen,
    )
    const effects: BatchEffects = {
      changedOrders: new Set(),
      attempts: [],
      cashDeclarations: [],
      closedShifts: new Map(),
      settlements: [],
      flags: [],
      cancelIntents: new Set(),
      undone: [],
      stopOrders: new Map(),
      evidence: [],
    }
    const rows: DeviceEventTable[] = []
    const seenInBatch = new Set<string>()
    for (const event of fresh) {
      const time = courierTimeOf(event, state.shifts.get(event.shiftId), now, context.config.eventTimeToleranceMs)
      let status: DeviceEventTable['status']
      let reason: string | null = null
      if (known.has(event.eventId) || seenInBatch.has(event.eventId)) {
        // The same event under a new sequence: it was applied once already, and holds this sequence as a no-op.
        status = 'duplicate'
      } else {
        const verdict = judgeEvent(state, effects, event, time, now)
        status = verdict.status
        reason = verdict.status === 'rejected' ? verdict.reason : null
      }
      seenInBatch.add(event.eventId)
      results.set(event.seq, { seq: event.seq, eventId: event.eventId, status, reason })
      rows.push({
        device_id: deviceId,
        seq: event.seq,
        event_id: event.eventId,
        shift_id: event.shiftId,
        type: event.type,
        order_id: orderOf(event),
        payload: JSON.stringify(event.payload),
        occurred_at: time.at,
        occurred_ms: time.ms,
        received_ms: now,
        status,
        reason,
        device_occurred_at: event.occurredAt,
        clock_offset_ms: event.clockOffsetMs ?? null,
        time_flag: time.flag,
      })
    }

    const kind = context.database.kind
    for (const part of chunks(rows, INSERT_CHUNK)) await (await insertRows(trx, kind, 'device_events', part)).execute()
    // The route in the courier's order. Sequences are unique per route, so they move through negatives first.
    for (const [routeId, { order, stopId, skippedReason }] of effects.stopOrders) {
      for (const [i, id] of order.entries()) {
        await trx
          .updateTable('stops')
          .set({ sequence: -(i + 1) })
          .where('id', '=', id)
          .where('route_id', '=', routeId)
          .execute()
      }
      for (const [i, id] of order.entries()) {
        await trx
          .updateTable('stops')
          .set({ sequence: i + 1 })
          .where('id', '=', id)
          .where('route_id', '=', routeId)
          .execute()
      }
      await trx.updateTable('stops').set({ skipped_reason: skippedReason }).where('id', '=', stopId).execute()
      await trx
        .updateTable('routes')
        .set((eb) => ({ version: eb('version', '+', 1) }))
        .where('id', '=', routeId)
        .execute()
    }
    // An undo takes the completion back; both events stay in device_events, which is the audit.
    for (const undone of effects.undone) {
      await trx
        .deleteFrom('delivery_attempts')
        .where('order_id', '=', undone.order_id)
        .where('attempt', '=', undone.attempt)
        .execute()
    }
    for (const part of chunks(effects.evidence, INSERT_CHUNK)) {
      await trx.insertInto('evidence').values(part).execute()
    }
    for (const part of chunks(effects.attempts, INSERT_CHUNK)) {
      await (await insertRows(trx, kind, 'delivery_attempts', part)).execute()
    }
    for (const part of chunks([...effects.changedOrders], INSERT_CHUNK)) {
      await updateOrders(
        trx,
        part.map((orderId) => state.orders.get(orderId)!),
      )
    }
    // The courier moved on from these intents (cash taken, or cancelled offline): closed here, withdrawn at the
    // acquirer in the background; if one was paid meanwhile, that payment is recorded and flagged then.
    if (effects.cancelIntents.size > 0) {
      const closed = await trx
        .updateTable('payment_intents')
        .set({ status: 'cancelled' })
        .where('id', 'in', [...effects.cancelIntents])
        .where('status', '=', 'pending')
        .returning(['id', 'depot_id'])
        .execute()
      await queueWithdrawals(
        trx,
        closed.map((intent) => ({ intentId: intent.id, depotId: intent.depot_id })),
        now,
      )
    }
    if (effects.cashDeclarations.length > 0) {
      await trx
        .insertInto('cash_declarations')
        .values(
          effects.cashDeclarations.map((d) => ({
            device_id: deviceId,
            seq: d.seq,
            shift_id: d.shift.id,
            courier_id: d.shift.courier_id,
            depot_id: d.shift.depot_id,
            declared_fen: d.declaredFen,
            declared_at: d.declaredAt,
            declared_ms: d.declaredMs,
          })),
        )
        .execute()
    }
    for (const [shiftId, closedAt] of effects.closedShifts) {
      await trx.updateTable('shifts').set({ closed_at: closedAt }).where('id', '=', shiftId).execute()
    }
    for (const settlement of effects.settlements) {
      await trx
        .insertInto('settlements')
        .values({ id: newId('stl'), ...settlement })
        .onConflict((c) => c.column('intent_id').doNothing())
        .execute()
    }
    for (const flag of effects.flags) {
      const target = (await deviceOfCourier(trx, flag.courierId)) ?? { deviceId, depotId: device.depot_id }
      await raiseFlag(context, trx, after, flag, target)
    }
    await summariseIngestedBatch(context, trx, after, { deviceId, depotId: device.depot_id, rows, state, effects })
    await listLateEvents(context, trx, after, { depotId: device.depot_id, rows, state })
    await tellOtherTerminals(context, trx, after, deviceId, state, effects)
    const last = fresh.at(-1)!.seq
    // The offset the device had measured most recently, as its latest event in the batch carried it.
    const offset = fresh.findLast((e) => e.clockOffsetMs !== undefined && e.clockOffsetMs !== null)?.clockOffsetMs
    await trx
      .updateTable('devices')
      .set({
        acked_seq: last,
        ...(offset === undefined || offset === null
          ? {}
          : { clock_offset_ms: offset, clock_measured_ms: now, clock_source: 'events' as const }),
      })
      .where('id', '=', deviceId)
      .execute()
    if (effects.settlements.length > 0) after(() => context.wakeSettlement())
    if (effects.cancelIntents.size > 0) after(() => context.wakeWithdrawals())
    return { results, acked: last, effects, depotId: device.depot_id }
  })

  return {
    results: events.map((event) => outcome.results.get(event.seq)!),
    ackedThrough: outcome.acked,
  }
}
