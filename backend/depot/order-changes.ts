import type { OrderChangeResponse } from '../../shared/api/depot'
import type { BackendContext } from '../context'
import { announceDashboardChange } from '../dashboard/live'
import type { Trx } from '../db/connect'
import type { AfterCommit } from '../db/transaction'
import { conflict, notFound } from '../http/errors'
import { queueWithdrawals } from '../intents/withdrawals'
import { appendStreamMessage, deviceOfCourier } from '../stream/messages'
import { collectionInProgress } from './collection'

/** Bumps a route's manifest version and tells its courier's device what changed. */
export async function announceManifestChange(
  context: BackendContext,
  trx: Trx,
  after: AfterCommit,
  routeId: string,
  courierId: string,
  orderId: string,
  change: 'cancelled' | 'reassigned' | 'updated',
): Promise<number> {
  const { version } = await trx
    .updateTable('routes')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', routeId)
    .returning('version')
    .executeTakeFirstOrThrow()
  const target = await deviceOfCourier(trx, courierId)
  if (target) {
    await appendStreamMessage(context, trx, after, target, 'manifest', {
      shiftId: target.shiftId,
      orderId,
      change,
      version,
    })
  }
  return version
}

/**
 * An order that changed hands or was cancelled takes no payment through its old intent: it is closed here in
 * the same transaction (so no manifest hands it out again), and queued there to be withdrawn at the acquirer.
 */
export async function withdrawOpenIntents(
  context: BackendContext,
  trx: Trx,
  after: AfterCommit,
  orderId: string,
): Promise<void> {
  const closed = await trx
    .updateTable('payment_intents')
    .set({ status: 'cancelled' })
    .where('order_id', '=', orderId)
    .where('status', '=', 'pending')
    .returning(['id', 'depot_id'])
    .execute()
  if (closed.length === 0) return
  await queueWithdrawals(
    trx,
    closed.map((intent) => ({ intentId: intent.id, depotId: intent.depot_id })),
    context.now(),
  )
  after(() => context.wakeWithdrawals())
}

/**
 * Moves an open order of the depot to another of its couriers, inside the caller's transaction: the old
 * intent is withdrawn, and both couriers' devices hear the manifest change. The direct route and the work
 * queue's "reassign" both come here.
 */
export async function reassignOrder(
  context: BackendContext,
  trx: Trx,
  after: AfterCommit,
  depotId: string,
  orderId: string,
  courierId: string,
  fromCourierId?: string,
): Promise<OrderChangeResponse> {
  const order = await trx.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst()
  if (!order || order.depot_id !== depotId) throw notFound('order.not_found', 'no such order in this depot')
  if (order.status !== 'pending') throw conflict('order.closed', `the order is ${order.status}`)
  if (fromCourierId !== undefined && order.courier_id !== fromCourierId) {
    throw conflict('order.moved', 'the order is no longer with that courier')
  }
  const collecting = await collectionInProgress(trx, order.id, context.now())
  if (collecting !== null) {
    throw conflict('order.collection_in_progress', 'a collection is in progress for this order', {
      reason: collecting,
    })
  }
  const courier = await trx
    .selectFrom('couriers')
    .select(['id', 'depot_id'])
    .where('id', '=', courierId)
    .executeTakeFirst()
  if (!courier || courier.depot_id !== depotId) throw notFound('courier.not_found', 'no such courier in this depot')
  if (courier.id === order.courier_id) {
    throw conflict('order.already_assigned', 'the order is already with this courier')
  }
  const changed = await trx
    .updateTable('orders')
    .set({ courier_id: courier.id })
    .where('id', '=', order.id)
    .where('status', '=', 'pending')
    .where('courier_id', '=', order.courier_id)
    .executeTakeFirst()
  if (Number(changed.numUpdatedRows) === 0) throw conflict('order.moved', 'the order just changed')
  await withdrawOpenIntents(context, trx, after, order.id)
  await announceDashboardChange(context, trx, after, depotId)
  await announceManifestChange(context, trx, after, order.route_id, order.courier_id, order.id, 'reassigned')
  const target = await trx
    .selectFrom('routes')
    .select('id')
    .where('courier_id', '=', courier.id)
    .where('route_date', '=', order.route_date)
    .executeTakeFirst()
  let version = 1
  if (target) {
    version = await announceManifestChange(context, trx, after, target.id, courier.id, order.id, 'updated')
  } else {
    const device = await deviceOfCourier(trx, courier.id)
    if (device) {
      await appendStreamMessage(context, trx, after, device, 'manifest', {
        shiftId: device.shiftId,
        orderId: order.id,
        change: 'updated',
        version: 1,
      })
    }
  }
  return { orderId: order.id, status: 'pending', courierId: courier.id, version }
}
