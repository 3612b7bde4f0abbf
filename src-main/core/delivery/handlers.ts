import { TuotouError } from '../../../shared/errors'
import { formatFen } from '../../../shared/money'
import { answer, type CoreContext, type HandlersFor } from '../context'
import { requireRoute } from '../device/status'
import { currentIntent, orderView, requireOrder, requirePendingOrder } from '../manifest/views'
import { appendEvent } from '../outbox/store'
import { requireCollectable } from '../payments/handlers'
import { completeDelivery } from './complete'

export type DeliveryHandlers = HandlersFor<'recordCash' | 'recordFailure'>

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
        closed(orderId)
        return orderView(ctx.db, requireOrder(ctx.db, orderId))
      }),

    recordFailure: ({ orderId, reason }) =>
      answer(() => {
        requireRoute(ctx)
        const order = requirePendingOrder(ctx.db, orderId)
        const at = ctx.now().toISOString()
        ctx.db.transaction(() => {
          ctx.db.run(
            `UPDATE orders SET status = 'failed', failure_reason = ?, closed_at = ? WHERE order_id = ? AND status = 'pending'`,
            [reason, at, orderId],
          )
          appendEvent(ctx.db, {
            type: 'delivery.failed',
            payload: { orderId, attempt: order.attempt, reason },
            shiftId: order.shift_id,
            occurredAt: at,
          })
        })
        closed(orderId)
        return orderView(ctx.db, requireOrder(ctx.db, orderId))
      }),
  }
}
