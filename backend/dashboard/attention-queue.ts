import type { Kysely } from 'kysely'
import {
  ATTENTION_ACTIONS,
  AttentionAction,
  AttentionItemKind,
  type AttentionQueueItem,
  type AttentionQueueResponse,
  type ResolveAttentionRequest,
  type ResolveAttentionResponse,
} from '../../shared/api/attention'
import type { AttentionResponse } from '../../shared/api/dashboard'
import { CLOCK_SKEW_WARNING_MS } from '../../shared/api/events'
import { FlagKind } from '../../shared/api/stream'
import type { BackendContext } from '../context'
import type { SupervisorSession } from '../depot/auth'
import { reassignOrder } from '../depot/order-changes'
import type { BackendSchema } from '../db/schema'
import { inTransaction } from '../db/transaction'
import { requireDayOpen } from '../dayclose/lock'
import { conflict, notFound, unprocessable } from '../http/errors'
import { appendStreamMessage, deviceOfCourier } from '../stream/messages'
import { attentionOfDay } from './attention'
import { supervisorsOfDepot } from './cash'
import { courierRef, couriersOfDepot, type CourierName } from './couriers'
import { announceDashboardChange } from './live'
import { evidenceOrphanSource, proofMissingSource } from '../proof/attention'
import { orphanFileSource } from '../proof/orphans'
import type { AttentionSource, QueueItemDraft } from './attention-source'
import { orNull, storedFen, storedInstant, storedOption, storedSigned, storedTimestampOrEpoch } from './stored'

export type { AttentionSource, FoundItem, QueueItemDraft } from './attention-source'

const REFUND_KINDS = new Set<string>(['late_payment_after_cash', 'double_payment'])

/** Flags: money a customer paid twice (refund, or resolve), a "to be verified" payment never seen (owed, or resolve). */
const flagSource: AttentionSource = {
  prefix: 'flag',
  list: (_db, _depotId, _date, lists) =>
    Promise.resolve(
      lists.flags.map((flag) => ({
        itemId: `flag:${flag.flagId}`,
        kind: flag.kind,
        createdAt: flag.createdAt,
        courier: flag.courier,
        orderId: flag.orderId,
        waybill: flag.waybill,
        deviceId: null,
        amountFen: flag.amountFen,
        detail: flag.kind,
        refundable: flag.refund,
        flagId: flag.flagId,
        closedBySystemAt: flag.resolvedAt,
      })),
    ),
  async find(trx, depotId, key, couriers) {
    const row = await trx
      .selectFrom('flags')
      .innerJoin('orders', 'orders.id', 'flags.order_id')
      .select([
        'flags.id',
        'flags.kind',
        'flags.order_id',
        'flags.amount_fen',
        'flags.created_ms',
        'flags.resolved_ms',
        'orders.waybill',
        'orders.courier_id',
        'orders.route_date',
      ])
      .where('flags.id', '=', key)
      .where('flags.depot_id', '=', depotId)
      .where('orders.depot_id', '=', depotId)
      .executeTakeFirst()
    const kind = row ? storedOption(FlagKind, row.kind) : null
    if (!row || kind === null) return null
    return {
      date: row.route_date,
      item: {
        itemId: `flag:${row.id}`,
        kind,
        createdAt: storedTimestampOrEpoch(null, row.created_ms),
        courier: courierRef(couriers, row.courier_id),
        orderId: row.order_id,
        waybill: row.waybill,
        deviceId: null,
        amountFen: storedFen(row.amount_fen),
        detail: kind,
        refundable: REFUND_KINDS.has(kind),
        flagId: row.id,
        closedBySystemAt: storedInstant(row.resolved_ms),
      },
    }
  },
  async onResolved(context, trx, after, found) {
    const flagId = found.item.flagId!
    await trx
      .updateTable('flags')
      .set({ resolved_ms: context.now() })
      .where('id', '=', flagId)
      .where('resolved_ms', 'is', null)
      .execute()
    const courierId = found.item.courier?.courierId
    const device = courierId ? await deviceOfCourier(trx, courierId) : null
    if (device) {
      await appendStreamMessage(context, trx, after, device, 'resolved', {
        item: 'flag',
        orderId: found.item.orderId,
        flagKind: storedOption(FlagKind, found.item.kind),
        seq: null,
        at: new Date(context.now()).toISOString(),
      })
    }
  },
}

/** Events refused on business grounds: resolve, or move the order to another courier. */
const rejectionSource: AttentionSource = {
  prefix: 'rejection',
  list: (_db, _depotId, _date, lists) => Promise.resolve(lists.rejections.map(rejectionItem)),
  async find(trx, depotId, key, couriers) {
    const match = /^(dev_[A-Za-z0-9]{4,40}):(\d{1,15})$/.exec(key)
    if (!match) return null
    const row = await trx
      .selectFrom('dashboard_rejections')
      .leftJoin('orders', (join) =>
        join.onRef('orders.id', '=', 'dashboard_rejections.order_id').on('orders.depot_id', '=', depotId),
      )
      .select([
        'dashboard_rejections.device_id',
        'dashboard_rejections.seq',
        'dashboard_rejections.event_id',
        'dashboard_rejections.type',
        'dashboard_rejections.order_id',
        'dashboard_rejections.courier_id',
        'dashboard_rejections.reason',
        'dashboard_rejections.occurred_at',
        'dashboard_rejections.received_ms',
        'dashboard_rejections.route_date',
        'orders.waybill',
      ])
      .where('dashboard_rejections.depot_id', '=', depotId)
      .where('dashboard_rejections.device_id', '=', match[1]!)
      .where('dashboard_rejections.seq', '=', Number(match[2]))
      .executeTakeFirst()
    if (!row) return null
    return {
      date: row.route_date,
      item: rejectionItem({
        deviceId: row.device_id,
        seq: Number(row.seq),
        eventId: row.event_id,
        type: row.type,
        // An order of another depot is not this depot's to move.
        orderId: row.waybill ? row.order_id : null,
        waybill: row.waybill ?? null,
        courier: row.courier_id ? courierRef(couriers, row.courier_id) : null,
        reason: row.reason,
        occurredAt: storedTimestampOrEpoch(row.occurred_at),
        receivedAt: storedTimestampOrEpoch(null, row.received_ms),
      }),
    }
  },
  async onResolved(context, trx, after, found, request, depotId) {
    if (request.action === 'reassign') {
      await reassignOrder(context, trx, after, depotId, found.item.orderId!, request.courierId!)
    }
    const seq = Number(found.item.itemId.split(':').at(-1))
    await appendStreamMessage(context, trx, after, { depotId, deviceId: found.item.deviceId! }, 'resolved', {
      item: 'rejection',
      orderId: found.item.orderId,
      flagKind: null,
      seq,
      at: new Date(context.now()).toISOString(),
    })
  },
}

function rejectionItem(row: AttentionResponse['rejections'][number]): QueueItemDraft {
  return {
    itemId: `rejection:${row.deviceId}:${row.seq}`,
    kind: 'rejected_event',
    createdAt: row.occurredAt,
    courier: row.courier,
    orderId: row.orderId,
    waybill: row.waybill,
    deviceId: row.deviceId,
    amountFen: null,
    detail: row.reason,
    refundable: false,
    flagId: null,
    // Only an order of this depot that is named can be moved.
    actions: row.orderId && row.waybill ? ['resolve', 'reassign'] : ['resolve'],
  }
}

/** A device whose clock is off by more than two minutes on a day it carried a shift: resolve with a note. */
const skewSource: AttentionSource = {
  prefix: 'skew',
  async list(db, depotId, date) {
    const rows = await skewedDevices(db, depotId, date, null)
    return rows.map((row) => skewItem(row, date))
  },
  async find(trx, depotId, key) {
    const match = /^(dev_[A-Za-z0-9]{4,40}):(\d{4}-\d{2}-\d{2})$/.exec(key)
    if (!match) return null
    const [row] = await skewedDevices(trx, depotId, match[2]!, match[1]!)
    return row ? { date: match[2]!, item: skewItem(row, match[2]!) } : null
  },
}

interface SkewedDevice {
  id: string
  clock_offset_ms: number | null
  clock_measured_ms: number | null
}

async function skewedDevices(
  db: Kysely<BackendSchema>,
  depotId: string,
  date: string,
  deviceId: string | null,
): Promise<SkewedDevice[]> {
  let query = db
    .selectFrom('devices')
    .select(['devices.id', 'devices.clock_offset_ms', 'devices.clock_measured_ms'])
    .where('devices.depot_id', '=', depotId)
    .where('devices.revoked_at', 'is', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('shifts')
          .select('shifts.id')
          .whereRef('shifts.device_id', '=', 'devices.id')
          .where('shifts.depot_id', '=', depotId)
          .where('shifts.route_date', '=', date),
      ),
    )
    .orderBy('devices.id')
  if (deviceId !== null) query = query.where('devices.id', '=', deviceId)
  const rows = await query.execute()
  return rows.filter((row) => {
    const offset = orNull(storedSigned)(row.clock_offset_ms)
    return offset !== null && Math.abs(offset) > CLOCK_SKEW_WARNING_MS
  })
}

const skewItem = (row: SkewedDevice, date: string): QueueItemDraft => ({
  itemId: `skew:${row.id}:${date}`,
  kind: 'clock_skew',
  createdAt: storedTimestampOrEpoch(null, row.clock_measured_ms),
  courier: null,
  orderId: null,
  waybill: null,
  deviceId: row.id,
  amountFen: null,
  detail: String(orNull(storedSigned)(row.clock_offset_ms) ?? 0),
  refundable: false,
  flagId: null,
})

/**
 * An event for a courier-day already closed, that arrived after the close (`dayclose/late.ts`): it was applied,
 * the closed report was not changed, and the supervisor sees it here. Resolving it is the one change a closed day
 * takes.
 */
const lateEventSource: AttentionSource = {
  prefix: 'late',
  async list(db, depotId, date) {
    const couriers = await couriersOfDepot(db, depotId)
    const rows = await lateEvents(db, depotId, date, null)
    return rows.map((row) => lateItem(row, couriers))
  },
  async find(trx, depotId, key, couriers) {
    const match = /^(dev_[A-Za-z0-9]{4,40}):(\d{1,15})$/.exec(key)
    if (!match) return null
    const [row] = await lateEvents(trx, depotId, null, { deviceId: match[1]!, seq: Number(match[2]) })
    return row ? { date: row.route_date, item: lateItem(row, couriers) } : null
  },
}

interface LateEventRow {
  device_id: string
  seq: number
  route_date: string
  courier_id: string
  type: string
  order_id: string | null
  received_ms: number
  waybill: string | null
}

async function lateEvents(
  db: Kysely<BackendSchema>,
  depotId: string,
  date: string | null,
  one: { deviceId: string; seq: number } | null,
): Promise<LateEventRow[]> {
  let query = db
    .selectFrom('day_late_events')
    .leftJoin('orders', (join) =>
      join.onRef('orders.id', '=', 'day_late_events.order_id').on('orders.depot_id', '=', depotId),
    )
    .select([
      'day_late_events.device_id',
      'day_late_events.seq',
      'day_late_events.route_date',
      'day_late_events.courier_id',
      'day_late_events.type',
      'day_late_events.order_id',
      'day_late_events.received_ms',
      'orders.waybill',
    ])
    .where('day_late_events.depot_id', '=', depotId)
  if (date !== null) query = query.where('day_late_events.route_date', '=', date)
  if (one)
    query = query.where('day_late_events.device_id', '=', one.deviceId).where('day_late_events.seq', '=', one.seq)
  return query.execute()
}

const lateItem = (row: LateEventRow, couriers: Map<string, CourierName>): QueueItemDraft => ({
  itemId: `late:${row.device_id}:${Number(row.seq)}`,
  kind: 'late_after_close',
  createdAt: storedTimestampOrEpoch(null, row.received_ms),
  courier: courierRef(couriers, row.courier_id),
  orderId: row.waybill ? row.order_id : null,
  waybill: row.waybill ?? null,
  deviceId: row.device_id,
  amountFen: null,
  detail: row.type,
  refundable: false,
  flagId: null,
})

/** Every source of the work queue. Others add theirs here. */
export const ATTENTION_SOURCES: readonly AttentionSource[] = [
  flagSource,
  rejectionSource,
  skewSource,
  evidenceOrphanSource,
  orphanFileSource,
  proofMissingSource,
  lateEventSource,
]

interface ResolutionRow {
  item_id: string
  action: string
  note: string
  courier_id: string | null
  amount_fen: number | null
  supervisor_id: string
  resolved_ms: number
}

function withResolution(
  draft: QueueItemDraft,
  row: ResolutionRow | undefined,
  couriers: Map<string, CourierName>,
  supervisors: Map<string, string>,
): AttentionQueueItem {
  const { closedBySystemAt, actions, ...item } = draft
  const action = row ? storedOption(AttentionAction, row.action) : null
  const resolution =
    row && action
      ? {
          action,
          note: row.note,
          supervisor: {
            supervisorId: row.supervisor_id,
            name: supervisors.get(row.supervisor_id) ?? row.supervisor_id,
          },
          at: storedTimestampOrEpoch(null, row.resolved_ms),
          courier: row.courier_id ? courierRef(couriers, row.courier_id) : null,
          amountFen: row.amount_fen === null ? null : storedFen(row.amount_fen),
        }
      : null
  const open = resolution === null && !closedBySystemAt
  return { ...item, actions: open ? [...(actions ?? ATTENTION_ACTIONS[item.kind])] : [], resolution }
}

/**
 * The day's lists by source and the work queue built from them: open items first (oldest first), then the
 * closed ones (newest first), each with how it was closed.
 */
export async function attentionQueueOfDay(
  db: Kysely<BackendSchema>,
  depotId: string,
  date: string,
  nowMs: number,
): Promise<AttentionQueueResponse> {
  const lists = await attentionOfDay(db, depotId, date, nowMs)
  const [drafts, resolutions, couriers, supervisors] = await Promise.all([
    Promise.all(ATTENTION_SOURCES.map((source) => source.list(db, depotId, date, lists, nowMs))).then((all) =>
      all.flat(),
    ),
    db
      .selectFrom('attention_resolutions')
      .select(['item_id', 'action', 'note', 'courier_id', 'amount_fen', 'supervisor_id', 'resolved_ms'])
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .execute(),
    couriersOfDepot(db, depotId),
    supervisorsOfDepot(db, depotId),
  ])
  const byItem = new Map(resolutions.map((row) => [row.item_id, row]))
  const items = drafts
    .filter((draft) => storedOption(AttentionItemKind, draft.kind) !== null)
    .map((draft) => withResolution(draft, byItem.get(draft.itemId), couriers, supervisors))
  const open = items.filter((item) => item.actions.length > 0).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  const closed = items
    .filter((item) => item.actions.length === 0)
    .sort((a, b) => (b.resolution?.at ?? b.createdAt).localeCompare(a.resolution?.at ?? a.createdAt))
  return { ...lists, items: [...open, ...closed], openCount: open.length }
}

/**
 * `POST /api/v1/depot/attention/:itemId/resolve`: closes one open item with the action and note, recording the
 * supervisor and the time in the same transaction as what the action does. An item of another depot is not
 * found; one already closed is 409, and nothing changes.
 */
export async function resolveAttentionItem(
  context: BackendContext,
  session: SupervisorSession,
  itemId: string,
  request: ResolveAttentionRequest,
): Promise<ResolveAttentionResponse> {
  const separator = itemId.indexOf(':')
  const source = ATTENTION_SOURCES.find((candidate) => candidate.prefix === itemId.slice(0, separator))
  const key = itemId.slice(separator + 1)
  if (!source) throw notFound('attention.not_found', 'no such item in this depot')
  const couriers = await couriersOfDepot(context.db, session.depotId)
  const date = await inTransaction(context.database, context.log, async (trx, after) => {
    const found = await source.find(trx, session.depotId, key, couriers)
    if (!found || storedOption(AttentionItemKind, found.item.kind) === null) {
      throw notFound('attention.not_found', 'no such item in this depot')
    }
    if (found.item.closedBySystemAt) throw conflict('attention.already_resolved', 'this item is already closed')
    // A closed day's items stay as they were closed; a late event listed against it is the one thing to see to.
    const courierOfItem = found.item.courier?.courierId
    if (courierOfItem && found.item.kind !== 'late_after_close') {
      await requireDayOpen(trx, context.database.kind, session.depotId, found.date, courierOfItem)
    }
    const allowed = found.item.actions ?? ATTENTION_ACTIONS[found.item.kind]
    if (!allowed.includes(request.action)) {
      throw unprocessable('attention.action_not_allowed', 'this action does not apply to this item', {
        allowed: allowed.join(','),
      })
    }
    const owed = request.action === 'owed_by_courier'
    const inserted = await trx
      .insertInto('attention_resolutions')
      .values({
        depot_id: session.depotId,
        item_id: found.item.itemId,
        route_date: found.date,
        kind: found.item.kind,
        action: request.action,
        note: request.note.trim(),
        courier_id:
          request.action === 'reassign' ? request.courierId! : owed ? (found.item.courier?.courierId ?? null) : null,
        amount_fen: owed ? found.item.amountFen : null,
        supervisor_id: session.supervisorId,
        resolved_ms: context.now(),
      })
      .onConflict((oc) => oc.columns(['depot_id', 'item_id']).doNothing())
      .executeTakeFirst()
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      throw conflict('attention.already_resolved', 'this item is already closed')
    }
    await source.onResolved?.(context, trx, after, found, request, session.depotId)
    await announceDashboardChange(context, trx, after, session.depotId)
    return found.date
  })
  const day = await attentionQueueOfDay(context.db, session.depotId, date, context.now())
  const item = day.items.find((candidate) => candidate.itemId === itemId)!
  return { date, item, openCount: day.openCount }
}
