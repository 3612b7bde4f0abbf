import type { Kysely } from 'kysely'
import {
  CashDenominations,
  type CashAuditEntry,
  type CashDayResponse,
  type CashOwed,
  type CashRow,
  type RecordCashRequest,
} from '../../shared/api/dashboard'
import type { BackendContext } from '../context'
import type { Trx } from '../db/connect'
import type { BackendSchema } from '../db/schema'
import { inTransaction } from '../db/transaction'
import { owedOfDay } from '../dayclose/figures'
import { requireDayOpen } from '../dayclose/lock'
import { ApiError, conflict, notFound } from '../http/errors'
import { newId } from '../ids'
import { courierRef, couriersOfDepot, type CourierName } from './couriers'
import { announceDashboardChange } from './live'
import type { CashHandinTable, DepotAuditTable } from './schema'
import {
  orNull,
  storedCount,
  storedInstant,
  storedSigned,
  storedTimestamp,
  storedTimestampOrEpoch,
  storedTotal,
} from './stored'

type Db = Kysely<BackendSchema> | Trx

interface CashFacts {
  courierId: string
  expectedFen: number
  cashCount: number
  declaredFen: number | null
  declaredAt: string | null
  handin: CashHandinTable | null
  owed: CashOwed
  closed: boolean
}

const NOTHING_OWED: CashOwed = { shortfallCount: 0, shortfallFen: 0, unverifiedCount: 0, unverifiedFen: 0 }

/** A stored denomination count, or null when there is none or it cannot be read. */
function storedDenominations(text: string | null | undefined): CashDenominations | null {
  if (!text) return null
  try {
    const parsed = CashDenominations.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** One courier's cash row; stored amounts and times are brought into range (`stored.ts`). */
function cashRow(facts: CashFacts, couriers: Map<string, CourierName>, supervisors: Map<string, string>): CashRow {
  const { handin } = facts
  const received = handin ? storedTotal(handin.received_fen) : null
  const expected = storedTotal(facts.expectedFen)
  const declared = orNull(storedTotal)(facts.declaredFen)
  return {
    courier: courierRef(couriers, facts.courierId),
    expectedFen: expected,
    cashCount: storedCount(facts.cashCount),
    declaredFen: declared,
    declaredAt: storedTimestamp(facts.declaredAt),
    receivedFen: received,
    note: handin?.note ?? null,
    recordedBy: handin
      ? { supervisorId: handin.recorded_by, name: supervisors.get(handin.recorded_by) ?? handin.recorded_by }
      : null,
    recordedAt: handin ? storedInstant(handin.recorded_ms) : null,
    version: storedCount(handin?.version ?? 0),
    discrepancyFen: received === null ? null : storedSigned(received - expected),
    declaredDiscrepancyFen: declared === null ? null : storedSigned(declared - expected),
    status: received === null ? 'awaiting' : received === expected ? 'balanced' : 'discrepancy',
    owed: facts.owed,
    denominations: storedDenominations(handin?.denominations),
    closed: facts.closed,
  }
}

function auditEntry(
  row: DepotAuditTable,
  couriers: Map<string, CourierName>,
  supervisors: Map<string, string>,
): CashAuditEntry {
  return {
    auditId: row.id,
    courier: courierRef(couriers, row.courier_id),
    supervisor: { supervisorId: row.supervisor_id, name: supervisors.get(row.supervisor_id) ?? row.supervisor_id },
    // An action this version does not know is still a change to the hand-in: the entry is shown, as one.
    action: row.action === 'recorded' ? 'recorded' : 'changed',
    previousFen: orNull(storedTotal)(row.previous_fen),
    receivedFen: storedTotal(row.amount_fen),
    expectedFen: storedTotal(row.expected_fen),
    declaredFen: orNull(storedTotal)(row.declared_fen),
    note: row.note,
    at: storedTimestampOrEpoch(null, row.at_ms),
  }
}

export async function supervisorsOfDepot(db: Db, depotId: string): Promise<Map<string, string>> {
  const rows = await db.selectFrom('supervisors').select(['id', 'name']).where('depot_id', '=', depotId).execute()
  return new Map(rows.map((row) => [row.id, row.name]))
}

/**
 * Every courier's cash for a day: couriers with a route that day, with cash activity, or with a hand-in
 * recorded. Expected is the sum of the day's cash collections (the courier-day summary); declared is the
 * courier's latest declaration; received is what a supervisor recorded.
 */
export async function cashOfDay(
  db: Kysely<BackendSchema>,
  depotId: string,
  date: string,
  nowMs: number,
): Promise<CashDayResponse> {
  const [days, handins, routes, audit, couriers, supervisors, owed, closes] = await Promise.all([
    db
      .selectFrom('dashboard_courier_days')
      .select(['courier_id', 'cash_fen', 'cash_count', 'declared_fen', 'declared_at'])
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .execute(),
    db.selectFrom('cash_handins').selectAll().where('depot_id', '=', depotId).where('route_date', '=', date).execute(),
    db
      .selectFrom('routes')
      .select('courier_id')
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .execute(),
    db
      .selectFrom('depot_audit')
      .selectAll()
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .orderBy('at_ms', 'desc')
      .orderBy('id', 'desc')
      .execute(),
    couriersOfDepot(db, depotId),
    supervisorsOfDepot(db, depotId),
    owedOfDay(db, depotId, date),
    db
      .selectFrom('day_closes')
      .select('courier_id')
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .execute(),
  ])
  const closed = new Set(closes.map((row) => row.courier_id))
  const facts = new Map<string, CashFacts>()
  const factsOf = (courierId: string): CashFacts => {
    let entry = facts.get(courierId)
    if (!entry) {
      entry = {
        courierId,
        expectedFen: 0,
        cashCount: 0,
        declaredFen: null,
        declaredAt: null,
        handin: null,
        owed: owed.get(courierId) ?? NOTHING_OWED,
        closed: closed.has(courierId),
      }
      facts.set(courierId, entry)
    }
    return entry
  }
  for (const route of routes) factsOf(route.courier_id)
  for (const day of days) {
    Object.assign(factsOf(day.courier_id), {
      expectedFen: day.cash_fen,
      cashCount: day.cash_count,
      declaredFen: day.declared_fen,
      declaredAt: day.declared_at,
    })
  }
  for (const handin of handins) factsOf(handin.courier_id).handin = handin
  const rows = [...facts.values()]
    .map((entry) => cashRow(entry, couriers, supervisors))
    .sort(
      (a, b) =>
        a.courier.staffId.localeCompare(b.courier.staffId) || a.courier.courierId.localeCompare(b.courier.courierId),
    )
  return {
    date,
    generatedAt: new Date(nowMs).toISOString(),
    couriers: rows,
    audit: audit.map((row) => auditEntry(row, couriers, supervisors)),
  }
}

/**
 * Records what a supervisor received from a courier for a day, in one transaction with its audit entry. The
 * supervisor names the version they saw; an amount other than expected needs a note. Recording the same amount
 * and note again changes nothing and leaves no entry.
 */
export async function recordCashHandin(
  context: Pick<BackendContext, 'database' | 'log' | 'hub' | 'now'>,
  session: { depotId: string; supervisorId: string },
  courierId: string,
  request: RecordCashRequest,
): Promise<{ row: CashRow; audit: CashAuditEntry | null }> {
  const note = request.note && request.note.length > 0 ? request.note : null
  return inTransaction(context.database, context.log, async (trx, after) => {
    const courier = await trx
      .selectFrom('couriers')
      .select(['id', 'staff_id', 'name', 'depot_id'])
      .where('id', '=', courierId)
      .executeTakeFirst()
    if (!courier || courier.depot_id !== session.depotId) {
      throw notFound('courier.not_found', 'no such courier in this depot')
    }
    await requireDayOpen(trx, context.database.kind, session.depotId, request.date, courierId)
    const day = await trx
      .selectFrom('dashboard_courier_days')
      .select(['cash_fen', 'cash_count', 'declared_fen', 'declared_at'])
      .where('depot_id', '=', session.depotId)
      .where('route_date', '=', request.date)
      .where('courier_id', '=', courierId)
      .executeTakeFirst()
    const existing = await trx
      .selectFrom('cash_handins')
      .selectAll()
      .where('depot_id', '=', session.depotId)
      .where('route_date', '=', request.date)
      .where('courier_id', '=', courierId)
      .$if(context.database.kind === 'postgres', (query) => query.forUpdate())
      .executeTakeFirst()
    const current = existing?.version ?? 0
    if (request.version !== current) {
      throw conflict('cash.version_conflict', 'someone recorded this hand-in meanwhile; reload and check', {
        version: current,
      })
    }
    const expectedFen = day?.cash_fen ?? 0
    if (request.receivedFen !== expectedFen && note === null) {
      throw new ApiError(422, 'cash.note_required', 'an amount other than the cash expected needs a note', {
        expectedFen,
        receivedFen: request.receivedFen,
      })
    }
    const supervisors = await supervisorsOfDepot(trx, session.depotId)
    const owed = (await owedOfDay(trx, session.depotId, request.date)).get(courierId) ?? NOTHING_OWED
    const denominations = request.denominations ? JSON.stringify(request.denominations) : null
    const couriers = new Map([[courier.id, courier]])
    const facts = (handin: CashHandinTable | null): CashFacts => ({
      courierId,
      expectedFen,
      cashCount: day?.cash_count ?? 0,
      declaredFen: day?.declared_fen ?? null,
      declaredAt: day?.declared_at ?? null,
      handin,
      owed,
      closed: false,
    })
    if (
      existing &&
      existing.received_fen === request.receivedFen &&
      existing.note === note &&
      (existing.denominations ?? null) === denominations
    ) {
      return { row: cashRow(facts(existing), couriers, supervisors), audit: null }
    }

    const now = context.now()
    const handin: CashHandinTable = {
      depot_id: session.depotId,
      route_date: request.date,
      courier_id: courierId,
      received_fen: request.receivedFen,
      note,
      version: current + 1,
      recorded_by: session.supervisorId,
      recorded_ms: now,
      denominations,
    }
    if (existing) {
      // Guarded by the version as well, so a change that raced past the read above is refused, not lost.
      const updated = await trx
        .updateTable('cash_handins')
        .set({
          received_fen: handin.received_fen,
          note,
          version: handin.version,
          recorded_by: handin.recorded_by,
          recorded_ms: now,
          denominations,
        })
        .where('depot_id', '=', session.depotId)
        .where('route_date', '=', request.date)
        .where('courier_id', '=', courierId)
        .where('version', '=', current)
        .executeTakeFirst()
      if (Number(updated.numUpdatedRows) !== 1) {
        throw conflict('cash.version_conflict', 'someone recorded this hand-in meanwhile; reload and check', {
          version: current + 1,
        })
      }
    } else {
      const inserted = await trx
        .insertInto('cash_handins')
        .values(handin)
        .onConflict((c) => c.columns(['depot_id', 'route_date', 'courier_id']).doNothing())
        .executeTakeFirst()
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) {
        throw conflict('cash.version_conflict', 'someone recorded this hand-in meanwhile; reload and check', {
          version: 1,
        })
      }
    }
    const audit: DepotAuditTable = {
      id: newId('aud'),
      depot_id: session.depotId,
      route_date: request.date,
      subject: 'cash',
      courier_id: courierId,
      supervisor_id: session.supervisorId,
      action: existing ? 'changed' : 'recorded',
      previous_fen: existing?.received_fen ?? null,
      amount_fen: request.receivedFen,
      expected_fen: expectedFen,
      declared_fen: day?.declared_fen ?? null,
      note,
      at_ms: now,
    }
    await trx.insertInto('depot_audit').values(audit).execute()
    await announceDashboardChange(context, trx, after, session.depotId)
    return {
      row: cashRow(facts(handin), couriers, supervisors),
      audit: auditEntry(audit, couriers, supervisors),
    }
  })
}
