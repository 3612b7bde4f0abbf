import { sql, type Kysely } from 'kysely'
import type { DatabaseKind, Trx } from '../db/connect'
import type { BackendSchema } from '../db/schema'
import type { DayCloseTable } from '../dashboard/schema'
import { conflict } from '../http/errors'

type Db = Kysely<BackendSchema> | Trx

/**
 * Serialises everything that reads or changes one courier's day against its close: the close itself, a hand-in,
 * a resolution, and ingest's check for late events. SQLite's write transactions already run one at a time; on
 * PostgreSQL a transaction-scoped advisory lock per courier-day does it. Callers lock days in sorted order.
 */
export async function lockCourierDay(
  trx: Trx,
  kind: DatabaseKind,
  depotId: string,
  date: string,
  courierId: string,
): Promise<void> {
  if (kind !== 'postgres') return
  await sql`select pg_advisory_xact_lock(hashtext(${`dayclose:${depotId}:${date}:${courierId}`}))`.execute(trx)
}

/** The close of a courier's day, if any. */
export async function closeOf(db: Db, depotId: string, date: string, courierId: string): Promise<DayCloseTable | null> {
  const row = await db
    .selectFrom('day_closes')
    .selectAll()
    .where('depot_id', '=', depotId)
    .where('route_date', '=', date)
    .where('courier_id', '=', courierId)
    .executeTakeFirst()
  return row ?? null
}

/**
 * Refuses a change to a closed courier-day (409 `day.closed`). Takes the day's lock first, so a close racing the
 * change either comes after it (and its figures include the change) or before it (and the change is refused).
 */
export async function requireDayOpen(
  trx: Trx,
  kind: DatabaseKind,
  depotId: string,
  date: string,
  courierId: string,
): Promise<void> {
  await lockCourierDay(trx, kind, depotId, date, courierId)
  const closed = await closeOf(trx, depotId, date, courierId)
  if (closed) {
    throw conflict('day.closed', 'this courier’s day is closed; nothing of it can change', {
      date,
      courierId,
      closedAt: new Date(Number(closed.closed_ms)).toISOString(),
    })
  }
}
