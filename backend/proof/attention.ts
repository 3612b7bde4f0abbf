import type { Kysely } from 'kysely'
import type { BackendSchema } from '../db/schema'
import type { AttentionSource, QueueItemDraft } from '../dashboard/attention-source'
import { courierRef, couriersOfDepot, type CourierName } from '../dashboard/couriers'
import { storedTimestampOrEpoch } from '../dashboard/stored'
import { proofsOfDay } from './records'

/**
 * An evidence event whose file has not arrived this long after the event did is an orphan for the depot: a
 * device that lost the file, or one that never came back. A device that reports the file lost (`orphans.ts`) opens
 * the item at once. A file that arrives later closes the item by itself.
 */
export const EVIDENCE_ORPHAN_AFTER_MS = 30 * 60_000

interface OrphanRow {
  id: string
  order_id: string
  kind: string
  device_id: string
  created_ms: number
  stored_ms: number | null
  waybill: string
  courier_id: string
  route_date: string
}

async function orphanRows(
  db: Kysely<BackendSchema>,
  depotId: string,
  filter: { date: string; nowMs: number } | { evidenceId: string },
): Promise<OrphanRow[]> {
  let query = db
    .selectFrom('evidence')
    .innerJoin('orders', 'orders.id', 'evidence.order_id')
    .select([
      'evidence.id',
      'evidence.order_id',
      'evidence.kind',
      'evidence.device_id',
      'evidence.created_ms',
      'evidence.stored_ms',
      'orders.waybill',
      'orders.courier_id',
      'orders.route_date',
    ])
    .where('evidence.depot_id', '=', depotId)
    .where('orders.depot_id', '=', depotId)
    .orderBy('evidence.created_ms')
  if ('evidenceId' in filter) {
    query = query.where('evidence.id', '=', filter.evidenceId)
  } else {
    const before = filter.nowMs - EVIDENCE_ORPHAN_AFTER_MS
    query = query
      .where('orders.route_date', '=', filter.date)
      // Past the grace an upload in flight gets, or at once when the device said it lost the file.
      .where((eb) =>
        eb.or([
          eb('evidence.created_ms', '<=', before),
          eb.exists(
            eb
              .selectFrom('evidence_orphans')
              .select('evidence_orphans.name')
              .whereRef('evidence_orphans.evidence_id', '=', 'evidence.id')
              .whereRef('evidence_orphans.device_id', '=', 'evidence.device_id')
              .where('evidence_orphans.problem', '=', 'event_without_file'),
          ),
        ]),
      )
      // Still missing, or it came after the grace (then the item stays, closed by the system when it came).
      .where((eb) =>
        eb.or([
          eb('evidence.stored_ms', 'is', null),
          eb('evidence.stored_ms', '>', eb('evidence.created_ms', '+', EVIDENCE_ORPHAN_AFTER_MS)),
        ]),
      )
  }
  return query.execute()
}

const orphanItem = (row: OrphanRow, couriers: Map<string, CourierName>): QueueItemDraft => ({
  itemId: `evidence:${row.id}`,
  kind: 'evidence_missing',
  createdAt: storedTimestampOrEpoch(null, row.created_ms),
  courier: courierRef(couriers, row.courier_id),
  orderId: row.order_id,
  waybill: String(row.waybill).slice(0, 64),
  deviceId: row.device_id,
  amountFen: null,
  detail: row.kind === 'signature' ? 'signature' : 'photo',
  refundable: false,
  flagId: null,
  closedBySystemAt: row.stored_ms === null ? null : storedTimestampOrEpoch(null, row.stored_ms),
})

/** Evidence announced by its event whose file never came: resolved by a supervisor with a note, never dropped. */
export const evidenceOrphanSource: AttentionSource = {
  prefix: 'evidence',
  async list(db, depotId, date, _lists, nowMs) {
    const [rows, couriers] = await Promise.all([orphanRows(db, depotId, { date, nowMs }), couriersOfDepot(db, depotId)])
    return rows.map((row) => orphanItem(row, couriers))
  },
  async find(trx, depotId, key, couriers) {
    if (!/^[0-9a-f-]{36}$/.test(key)) return null
    const [row] = await orphanRows(trx, depotId, { evidenceId: key })
    return row ? { date: row.route_date, item: orphanItem(row, couriers) } : null
  },
}

/**
 * A delivery or failure recorded without the proof its policy asked for (no right code, no photo or signature
 * announced, no override): the backend took the completion, since it happened, and flags it here.
 */
async function proofMissingItems(db: Kysely<BackendSchema>, depotId: string, date: string): Promise<QueueItemDraft[]> {
  const [day, couriers, ids] = await Promise.all([
    proofsOfDay(db, depotId, date),
    couriersOfDepot(db, depotId),
    db
      .selectFrom('orders')
      .select(['id', 'courier_id'])
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .execute(),
  ])
  const courierOf = new Map(ids.map((row) => [row.id, row.courier_id]))
  return day.proofs
    .filter((proof) => proof.unmet.length > 0)
    .map((proof): QueueItemDraft => ({
      itemId: `proof:${proof.orderId}:${proof.attempt}`,
      kind: 'proof_missing',
      createdAt: proof.at ?? storedTimestampOrEpoch(null, 0),
      courier: courierRef(couriers, courierOf.get(proof.orderId) ?? ''),
      orderId: proof.orderId,
      waybill: proof.waybill,
      deviceId: null,
      amountFen: null,
      detail: proof.unmet.map((req) => req.join('|')).join(','),
      refundable: false,
      flagId: null,
    }))
}

export const proofMissingSource: AttentionSource = {
  prefix: 'proof',
  list: (db, depotId, date) => proofMissingItems(db, depotId, date),
  async find(trx, depotId, key) {
    const match = /^(ord_[A-Za-z0-9]{4,40}):(\d{1,6})$/.exec(key)
    if (!match) return null
    const order = await trx
      .selectFrom('orders')
      .select(['route_date'])
      .where('id', '=', match[1]!)
      .where('depot_id', '=', depotId)
      .executeTakeFirst()
    if (!order) return null
    const items = await proofMissingItems(trx, depotId, order.route_date)
    const item = items.find((candidate) => candidate.itemId === `proof:${key}`)
    return item ? { date: order.route_date, item } : null
  },
}
