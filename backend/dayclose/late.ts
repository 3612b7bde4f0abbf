import type { BackendContext } from '../context'
import type { Trx } from '../db/connect'
import type { DeviceEventTable } from '../db/schema'
import type { AfterCommit } from '../db/transaction'
import { announceDashboardChange } from '../dashboard/live'
import type { DayLateEventTable } from '../dashboard/schema'
import type { BatchState } from '../events/rules'
import { lockCourierDay } from './lock'

/**
 * Called in ingest's transaction, after the batch's events are stored and summarised: every applied event whose
 * courier-day is already closed is listed against that day (`day_late_events`; the work queue shows it). The
 * event itself is applied as any other; only the closed report is not changed by it. Each day is locked before
 * its close is looked at, so an event racing a close is either in the close's figures or listed here.
 */
export async function listLateEvents(
  context: Pick<BackendContext, 'hub' | 'database'>,
  trx: Trx,
  after: AfterCommit,
  batch: { depotId: string; rows: readonly DeviceEventTable[]; state: BatchState },
): Promise<number> {
  const byDay = new Map<string, { date: string; courierId: string; rows: DeviceEventTable[] }>()
  for (const row of batch.rows) {
    if (row.status !== 'applied') continue
    const shift = batch.state.shifts.get(row.shift_id)
    if (!shift || shift.depot_id !== batch.depotId) continue
    const order = row.order_id ? batch.state.orders.get(row.order_id) : undefined
    const date = order && order.depot_id === batch.depotId ? order.route_date : shift.route_date
    const key = `${date}|${shift.courier_id}`
    let day = byDay.get(key)
    if (!day) byDay.set(key, (day = { date, courierId: shift.courier_id, rows: [] }))
    day.rows.push(row)
  }
  if (byDay.size === 0) return 0
  const dates = [...new Set([...byDay.values()].map((day) => day.date))]
  // Most batches are for open days: one indexed look first, and locks only where a close might matter.
  if (context.database.kind !== 'postgres') {
    const any = await trx
      .selectFrom('day_closes')
      .select('courier_id')
      .where('depot_id', '=', batch.depotId)
      .where('route_date', 'in', dates)
      .executeTakeFirst()
    if (!any) return 0
  }
  const late: DayLateEventTable[] = []
  for (const key of [...byDay.keys()].sort()) {
    const day = byDay.get(key)!
    await lockCourierDay(trx, context.database.kind, batch.depotId, day.date, day.courierId)
    const closed = await trx
      .selectFrom('day_closes')
      .select('closed_ms')
      .where('depot_id', '=', batch.depotId)
      .where('route_date', '=', day.date)
      .where('courier_id', '=', day.courierId)
      .executeTakeFirst()
    if (!closed) continue
    for (const row of day.rows) {
      late.push({
        device_id: row.device_id,
        seq: row.seq,
        depot_id: batch.depotId,
        route_date: day.date,
        courier_id: day.courierId,
        type: row.type,
        order_id: row.order_id,
        occurred_ms: row.occurred_ms,
        received_ms: row.received_ms,
      })
    }
  }
  if (late.length === 0) return 0
  for (let i = 0; i < late.length; i += 100) {
    await trx
      .insertInto('day_late_events')
      .values(late.slice(i, i + 100))
      .onConflict((oc) => oc.columns(['device_id', 'seq']).doNothing())
      .execute()
  }
  await announceDashboardChange(context, trx, after, batch.depotId)
  return late.length
}
