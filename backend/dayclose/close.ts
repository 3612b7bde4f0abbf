import type { Kysely } from 'kysely'
import {
  DayCloseFigures,
  type CloseDayRequest,
  type CloseDayResponse,
  type DayReport,
  type DayReportResponse,
  type LateEvent,
} from '../../shared/api/day-close'
import type { BackendContext } from '../context'
import type { SupervisorSession } from '../depot/auth'
import type { BackendSchema } from '../db/schema'
import { inTransaction } from '../db/transaction'
import { supervisorsOfDepot } from '../dashboard/cash'
import { courierRef, couriersOfDepot, type CourierName } from '../dashboard/couriers'
import { announceDashboardChange } from '../dashboard/live'
import type { DayCloseTable } from '../dashboard/schema'
import { storedInstant, storedTimestampOrEpoch } from '../dashboard/stored'
import { notFound, unprocessable } from '../http/errors'
import { routeDateOf } from '../manifests/route-date'
import { couriersOfDay, dayChecksum, liveDayFigures } from './figures'
import { closeOf, lockCourierDay } from './lock'

/** The figures as closed; a stored row this version cannot read is shown with the figures as they are now. */
function closedFigures(
  row: DayCloseTable,
  live: DayCloseFigures | undefined,
): { figures: DayCloseFigures; checksum: string } {
  try {
    const parsed = DayCloseFigures.safeParse(JSON.parse(row.figures))
    if (parsed.success && /^[0-9a-f]{64}$/.test(row.checksum)) return { figures: parsed.data, checksum: row.checksum }
  } catch {
    // unreadable JSON: fall through
  }
  const figures = live ?? emptyFigures(row.route_date, row.courier_id, row.courier_id)
  return { figures, checksum: dayChecksum(figures) }
}

function emptyFigures(date: string, courierId: string, staffId: string): DayCloseFigures {
  return {
    date,
    courierId,
    staffId,
    delivered: 0,
    failed: 0,
    digitalCount: 0,
    digitalFen: 0,
    digitalAwaitingCount: 0,
    digitalAwaitingFen: 0,
    cashCount: 0,
    cashFen: 0,
    prepaidCount: 0,
    refundCount: 0,
    refundedFen: 0,
    refundPendingFen: 0,
    shortfallCount: 0,
    shortfallFen: 0,
    owedCount: 0,
    owedFen: 0,
    declaredFen: null,
    receivedFen: null,
    handinDifferenceFen: null,
    discrepancies: [],
    closedBy: null,
    closedMs: null,
  }
}

/** The day's reports: closed ones as closed (with the events that came after), open ones as they stand now. */
export async function dayReports(
  db: Kysely<BackendSchema>,
  depotId: string,
  date: string,
  only: string | null,
): Promise<DayReport[]> {
  const couriers = await couriersOfDepot(db, depotId)
  const [ids, closes, late, supervisors] = await Promise.all([
    couriersOfDay(db, depotId, date),
    db.selectFrom('day_closes').selectAll().where('depot_id', '=', depotId).where('route_date', '=', date).execute(),
    db
      .selectFrom('day_late_events')
      .leftJoin('orders', (join) =>
        join.onRef('orders.id', '=', 'day_late_events.order_id').on('orders.depot_id', '=', depotId),
      )
      .select([
        'day_late_events.device_id',
        'day_late_events.seq',
        'day_late_events.courier_id',
        'day_late_events.type',
        'day_late_events.order_id',
        'day_late_events.occurred_ms',
        'day_late_events.received_ms',
        'orders.waybill',
      ])
      .where('day_late_events.depot_id', '=', depotId)
      .where('day_late_events.route_date', '=', date)
      .orderBy('day_late_events.received_ms')
      .orderBy('day_late_events.device_id')
      .orderBy('day_late_events.seq')
      .execute(),
    supervisorsOfDepot(db, depotId),
  ])
  const all = [...new Set([...ids, ...closes.map((row) => row.courier_id)])]
    .filter((id) => only === null || id === only)
    .sort()
  const live = await liveDayFigures(db, depotId, date, staffIds(couriers), all)
  return all
    .map((courierId): DayReport => {
      const close = closes.find((row) => row.courier_id === courierId)
      const lateEvents: LateEvent[] = late
        .filter((row) => row.courier_id === courierId)
        .map((row) => ({
          deviceId: row.device_id,
          seq: Number(row.seq),
          type: row.type,
          orderId: row.waybill ? row.order_id : null,
          waybill: row.waybill ?? null,
          occurredAt: storedTimestampOrEpoch(null, row.occurred_ms),
          receivedAt: storedTimestampOrEpoch(null, row.received_ms),
        }))
      if (!close) {
        const figures = live.get(courierId)!
        return {
          courier: courierRef(couriers, courierId),
          status: 'open',
          figures,
          checksum: dayChecksum(figures),
          closedBy: null,
          closedAt: null,
          note: null,
          lateEvents,
        }
      }
      const { figures, checksum } = closedFigures(close, live.get(courierId))
      return {
        courier: courierRef(couriers, courierId),
        status: 'closed',
        figures,
        checksum,
        closedBy: { supervisorId: close.closed_by, name: supervisors.get(close.closed_by) ?? close.closed_by },
        closedAt: storedInstant(close.closed_ms) ?? new Date(0).toISOString(),
        note: close.note,
        lateEvents,
      }
    })
    .sort(
      (a, b) =>
        a.courier.staffId.localeCompare(b.courier.staffId) || a.courier.courierId.localeCompare(b.courier.courierId),
    )
}

const staffIds = (couriers: Map<string, CourierName>): Map<string, { staffId: string }> =>
  new Map([...couriers].map(([id, courier]) => [id, { staffId: courier.staff_id }]))

/** `GET /api/v1/depot/days/:date/report`. */
export async function dayReportOf(
  context: Pick<BackendContext, 'db' | 'now'>,
  depot: { id: string; name: string; time_zone: string },
  date: string,
  courierId: string | null,
): Promise<DayReportResponse> {
  return {
    date,
    depotName: depot.name,
    timeZone: depot.time_zone,
    generatedAt: new Date(context.now()).toISOString(),
    couriers: await dayReports(context.db, depot.id, date, courierId),
  }
}

/**
 * `POST /api/v1/depot/days/:date/close`: freezes each courier's figures with the supervisor and the time, in one
 * transaction per request, each courier-day under its lock. A day already closed is left as it was closed
 * (idempotent: two supervisors closing at once make one close). A day still to come cannot be closed.
 */
export async function closeDay(
  context: BackendContext,
  session: SupervisorSession,
  depot: { id: string; time_zone: string },
  date: string,
  request: CloseDayRequest,
): Promise<CloseDayResponse> {
  const today = routeDateOf(context.now(), depot.time_zone)
  if (date > today) throw unprocessable('day.not_over', 'a day still to come cannot be closed', { date, today })
  const note = request.note && request.note.trim() !== '' ? request.note.trim() : null
  const couriers = await couriersOfDepot(context.db, depot.id)
  const newlyClosed = await inTransaction(context.database, context.log, async (trx, after) => {
    let targets: string[]
    if (request.courierId !== undefined) {
      if (!couriers.has(request.courierId)) throw notFound('courier.not_found', 'no such courier in this depot')
      targets = [request.courierId]
    } else {
      targets = await couriersOfDay(trx, depot.id, date)
    }
    if (targets.length === 0) {
      throw unprocessable('day.nothing_to_close', 'nobody had a route or any activity on this day', { date })
    }
    const closedNow: string[] = []
    for (const courierId of [...targets].sort()) {
      await lockCourierDay(trx, context.database.kind, depot.id, date, courierId)
      if (await closeOf(trx, depot.id, date, courierId)) continue
      const live = await liveDayFigures(trx, depot.id, date, staffIds(couriers), [courierId])
      const closedMs = context.now()
      const figures: DayCloseFigures = { ...live.get(courierId)!, closedBy: session.supervisorId, closedMs }
      const inserted = await trx
        .insertInto('day_closes')
        .values({
          depot_id: depot.id,
          route_date: date,
          courier_id: courierId,
          closed_by: session.supervisorId,
          closed_ms: closedMs,
          note,
          figures: JSON.stringify(figures),
          checksum: dayChecksum(figures),
        })
        .onConflict((oc) => oc.columns(['depot_id', 'route_date', 'courier_id']).doNothing())
        .executeTakeFirst()
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) closedNow.push(courierId)
    }
    if (closedNow.length > 0) await announceDashboardChange(context, trx, after, depot.id)
    return closedNow
  })
  const reports = await dayReports(context.db, depot.id, date, request.courierId ?? null)
  return { date, newlyClosed, reports: reports.filter((report) => report.status === 'closed') }
}
