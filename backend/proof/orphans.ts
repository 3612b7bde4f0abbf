import type { Kysely } from 'kysely'
import type { EvidenceOrphanReport } from '../../shared/api/evidence'
import type { AttentionSource, QueueItemDraft } from '../dashboard/attention-source'
import { courierRef, couriersOfDepot, type CourierName } from '../dashboard/couriers'
import { storedTimestampOrEpoch } from '../dashboard/stored'
import type { Trx } from '../db/connect'
import type { BackendSchema, DeviceTable } from '../db/schema'
import { routeDateOf } from '../manifests/route-date'

/**
 * Evidence orphans a device reports on its heartbeat (issue 14). Each is kept once per device and file name,
 * however often the device sends it again, on the day and courier of the device's latest shift. A file no event
 * names becomes an `evidence_orphan_file` item in the work queue; an event whose file the device lost opens its
 * `evidence_missing` item at once (`proof/attention.ts`), rather than after the grace an upload in flight gets.
 */
export async function recordEvidenceOrphans(
  trx: Trx,
  device: Pick<DeviceTable, 'id' | 'depot_id'>,
  reports: readonly EvidenceOrphanReport[],
  nowMs: number,
): Promise<void> {
  if (reports.length === 0) return
  const shift = await trx
    .selectFrom('shifts')
    .select(['route_date', 'courier_id'])
    .where('device_id', '=', device.id)
    .where('depot_id', '=', device.depot_id)
    .orderBy('started_ms', 'desc')
    .limit(1)
    .executeTakeFirst()
  const depot = await trx
    .selectFrom('depots')
    .select('time_zone')
    .where('id', '=', device.depot_id)
    .executeTakeFirstOrThrow()
  const routeDate = shift?.route_date ?? routeDateOf(nowMs, depot.time_zone)
  await trx
    .insertInto('evidence_orphans')
    .values(
      reports.map((report) => ({
        device_id: device.id,
        name: report.name,
        evidence_id: report.name.replace(/\.(?:jpg|png)$/, ''),
        depot_id: device.depot_id,
        problem: report.problem,
        bytes: report.bytes,
        found_at: report.foundAt,
        reported_ms: nowMs,
        route_date: routeDate,
        courier_id: shift?.courier_id ?? null,
      })),
    )
    .onConflict((oc) => oc.columns(['device_id', 'name']).doNothing())
    .execute()
}

interface OrphanFileRow {
  device_id: string
  name: string
  bytes: number
  reported_ms: number
  route_date: string
  courier_id: string | null
}

async function orphanFiles(
  db: Kysely<BackendSchema>,
  depotId: string,
  filter: { date: string } | { deviceId: string; name: string },
): Promise<OrphanFileRow[]> {
  let query = db
    .selectFrom('evidence_orphans')
    .select(['device_id', 'name', 'bytes', 'reported_ms', 'route_date', 'courier_id'])
    .where('depot_id', '=', depotId)
    .where('problem', '=', 'file_without_event')
    .orderBy('reported_ms')
    .orderBy('name')
  query =
    'date' in filter
      ? query.where('route_date', '=', filter.date)
      : query.where('device_id', '=', filter.deviceId).where('name', '=', filter.name)
  return query.execute()
}

const orphanFileItem = (row: OrphanFileRow, couriers: Map<string, CourierName>): QueueItemDraft => ({
  itemId: `orphanfile:${row.device_id}:${row.name}`,
  kind: 'evidence_orphan_file',
  createdAt: storedTimestampOrEpoch(null, row.reported_ms),
  courier: row.courier_id ? courierRef(couriers, row.courier_id) : null,
  orderId: null,
  waybill: null,
  deviceId: row.device_id,
  amountFen: null,
  detail: row.name.endsWith('.png') ? 'signature' : 'photo',
  refundable: false,
  flagId: null,
})

/** A file the device found with no event naming it: the supervisor looks into it and resolves it with a note. */
export const orphanFileSource: AttentionSource = {
  prefix: 'orphanfile',
  async list(db, depotId, date) {
    const [rows, couriers] = await Promise.all([orphanFiles(db, depotId, { date }), couriersOfDepot(db, depotId)])
    return rows.map((row) => orphanFileItem(row, couriers))
  },
  async find(trx, depotId, key, couriers) {
    const match = /^(dev_[A-Za-z0-9]{4,40}):([0-9a-f-]{36}\.(?:jpg|png))$/.exec(key)
    if (!match) return null
    const [row] = await orphanFiles(trx, depotId, { deviceId: match[1]!, name: match[2]! })
    return row ? { date: row.route_date, item: orphanFileItem(row, couriers) } : null
  },
}
