import type { DeliveryMethod } from '../../../shared/api/events'
import { TuotouError } from '../../../shared/errors'
import { formatFen } from '../../../shared/money'
import { answer, type CoreContext, type HandlersFor } from '../context'
import { requireActiveRoute } from '../device/status'
import { requireCollectable, requireInHand } from '../doorstep/require'
import { currentIntent, findOrder, orderParcels, orderView, requireOrder, type OrderRow } from '../manifest/views'
import { appendEvent } from '../outbox/store'
import { requireProof } from '../proof/require'
import { closedNow, completeDelivery, undoCompletion } from './complete'

export type DeliveryHandlers = HandlersFor<'recordCash' | 'recordFailure' | 'undoDelivery' | 'deliverPrepaid'>

/**
 * Opens the undo window for a prepaid, cash or failed completion the courier just made: one tap undoes it until
 * the window (from login) passes or the next parcel is scanned. Call after the completion committed.
 */
export function openUndo(
  ctx: CoreContext,
  order: OrderRow,
  method: 'prepaid' | 'cash' | 'failed',
  amountFen: number,
  completedAt: string,
): void {
  const shift = ctx.db.get<{ undo_window_ms: number }>('SELECT undo_window_ms FROM shifts WHERE shift_id = ?', [
    order.shift_id,
  ])
  const windowMs = shift?.undo_window_ms ?? 0
  if (windowMs <= 0) return
  ctx.doorstep.openUndo({ orderId: order.order_id, waybill: order.waybill, method, amountFen, windowMs, completedAt })
}

export function deliveryHandlers(ctx: CoreContext): DeliveryHandlers {
  const closed = (orderId: string): void => {
    ctx.payments.stop(orderId)
    ctx.outboxChanged()
    ctx.events.emit('routeChanged', { orderIds: [orderId] })
  }

  return {
    recordCash: ({ orderId, takenFen, confirmMismatch }) =>
      answer(() => {
        const order = requireCollectable(ctx, orderId)
        if (ctx.doorstep.collecting() !== 'cash') {
          throw new TuotouError('cash.panel_closed', `open the cash panel of ${order.waybill} first`, {
            waybill: order.waybill,
          })
        }
        const intent = currentIntent(ctx.db, orderId)
        if (intent && intent.status === 'pending' && intent.cancelled_at === null) {
          throw new TuotouError('cash.intent_active', 'cancel the digital payment before taking cash', {
            waybill: order.waybill,
          })
        }
        if (intent?.status === 'paid') {
          throw new TuotouError('cash.already_paid', `order ${order.waybill} was paid digitally`, {
            waybill: order.waybill,
          })
        }
        if (takenFen !== order.cod_fen && !confirmMismatch) {
          throw new TuotouError(
            'cash.needs_confirmation',
            `${formatFen(takenFen)} taken for ${formatFen(order.cod_fen)} due: confirm the difference`,
            { due: formatFen(order.cod_fen), taken: formatFen(takenFen), dueFen: order.cod_fen, takenFen },
          )
        }
        const at = ctx.now().toISOString()
        ctx.db.transaction(() =>
          completeDelivery(ctx.db, order, { method: 'cash', collectedFen: takenFen, intentId: null }, at),
        )
        ctx.doorstep.letGo()
        openUndo(ctx, order, 'cash', takenFen, at)
        closed(orderId)
        ctx.doorstep.changed()
        return orderView(ctx.db, requireOrder(ctx.db, orderId))
      }),

    recordFailure: ({ orderId, reason }) =>
      answer(() => {
        // A failure can be recorded from a stop opened on the route (nobody answers the door, the gate is shut).
        const order = requireInHand(ctx, orderId, { opened: true })
        if (ctx.doorstep.collecting() === 'qr') {
          // The customer may be paying that QR: go back from it first, so a failure is a deliberate choice.
          throw new TuotouError('doorstep.qr_open', `leave the QR of ${order.waybill} first`, {
            waybill: order.waybill,
          })
        }
        if (reason === 'not_home') requireProof(ctx.db, order, 'not_home')
        const at = ctx.now().toISOString()
        ctx.db.transaction(() => {
          const changed = ctx.db.run(
            `UPDATE orders SET status = 'failed', failure_reason = ?, closed_at = ? WHERE order_id = ? AND status = 'pending'`,
            [reason, at, orderId],
          ).changes
          if (changed !== 1) throw closedNow(ctx.db, order)
          appendEvent(ctx.db, {
            type: 'delivery.failed',
            payload: { orderId, attempt: order.attempt, reason },
            shiftId: order.shift_id,
            occurredAt: at,
          })
        })
        ctx.doorstep.letGo()
        openUndo(ctx, order, 'failed', 0, at)
        closed(orderId)
        ctx.doorstep.changed()
        return orderView(ctx.db, requireOrder(ctx.db, orderId))
      }),

    undoDelivery: ({ orderId }) =>
      answer(() => {
        requireActiveRoute(ctx)
        const window = ctx.doorstep.undo()
        const order = requireOrder(ctx.db, orderId)
        if (!window || window.orderId !== orderId) {
          throw new TuotouError('undo.not_open', `the completion of ${order.waybill} cannot be undone now`, {
            waybill: order.waybill,
          })
        }
        const at = ctx.now().toISOString()
        // Both clocks must agree the window is open: the monotonic one cannot be set back, and the courier's
        // clock is what the backend measures the window by.
        const elapsed = Date.parse(at) - Date.parse(window.completedAt)
        if (performance.now() >= window.deadline || elapsed > window.windowMs || elapsed < 0) {
          ctx.doorstep.closeUndo()
          ctx.doorstep.changed()
          throw new TuotouError('undo.window_passed', `the completion of ${order.waybill} is final now`, {
            waybill: order.waybill,
          })
        }
        const method: DeliveryMethod | null = window.method === 'failed' ? null : window.method
        ctx.db.transaction(() =>
          undoCompletion(ctx.db, order, { outcome: window.method === 'failed' ? 'failed' : 'delivered', method }, at),
        )
        ctx.doorstep.closeUndo()
        ctx.doorstep.take(orderId)
        closed(orderId)
        ctx.doorstep.changed()
        return orderView(ctx.db, requireOrder(ctx.db, orderId))
      }),

    deliverPrepaid: ({ orderId }) =>
      answer(() => {
        const order = requireInHand(ctx, orderId)
        if (order.cod_fen !== 0) {
          throw new TuotouError('delivery.not_prepaid', `order ${order.waybill} has money to collect`, {
            waybill: order.waybill,
          })
        }
        const parcels = orderParcels(ctx.db, orderId)
        const scanned = parcels.filter((parcel) => parcel.scanned_at !== null).length
        if (scanned < parcels.length) {
          throw new TuotouError('collect.parcels_missing', `${scanned} of ${parcels.length} parcels scanned`, {
            scanned,
            count: parcels.length,
          })
        }
        requireProof(ctx.db, order, 'handover')
        const at = ctx.now().toISOString()
        ctx.db.transaction(() =>
          completeDelivery(ctx.db, order, { method: 'prepaid', collectedFen: 0, intentId: null }, at),
        )
        ctx.doorstep.letGo()
        openUndo(ctx, findOrder(ctx.db, orderId)!, 'prepaid', 0, at)
        closed(orderId)
        ctx.doorstep.changed()
        return orderView(ctx.db, requireOrder(ctx.db, orderId))
      }),
  }
}
