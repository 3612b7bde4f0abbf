import { TuotouError } from '../../../shared/errors'
import type { CoreContext } from '../context'
import { requireActiveRoute } from '../device/status'
import { requireProof } from '../proof/require'
import { findOrder, orderParcels, requirePendingOrder, type OrderRow } from '../manifest/views'

/**
 * The order in hand is the only order: anything done for an order (collect, fail, undo aside) needs it to be the
 * last accepted scan. After a refusal, nothing of another order can be acted on until it is scanned again.
 */
export function requireInHand(ctx: CoreContext, orderId: string, allow: { opened?: boolean } = {}): OrderRow {
  requireActiveRoute(ctx)
  const order = requirePendingOrder(ctx.db, orderId)
  const inHand = ctx.doorstep.inHand()
  if (inHand !== orderId) {
    const held = inHand ? findOrder(ctx.db, inHand) : null
    throw new TuotouError('doorstep.not_in_hand', `scan ${order.waybill} first: it is not the parcel in hand`, {
      waybill: order.waybill,
      inHand: held?.waybill ?? null,
    })
  }
  if (ctx.doorstep.how() === 'opened' && !allow.opened) {
    throw new TuotouError(
      'collect.scan_first',
      `scan ${order.waybill} before collecting: it was opened from the route`,
      {
        waybill: order.waybill,
      },
    )
  }
  return order
}

/** Collection needs the order in hand, open, with money due and every parcel scanned. */
export function requireCollectable(ctx: CoreContext, orderId: string): OrderRow {
  const order = requireInHand(ctx, orderId)
  const parcels = orderParcels(ctx.db, orderId)
  const scanned = parcels.filter((parcel) => parcel.scanned_at !== null).length
  if (scanned < parcels.length) {
    throw new TuotouError('collect.parcels_missing', `${scanned} of ${parcels.length} parcels scanned`, {
      scanned,
      count: parcels.length,
    })
  }
  if (order.cod_fen === 0) throw new TuotouError('payment.nothing_due', `order ${order.waybill} is prepaid`)
  requireProof(ctx.db, order, 'handover')
  return order
}
