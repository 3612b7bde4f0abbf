import { TuotouError } from '../../../shared/errors'
import { answer, type CoreContext, type HandlersFor } from '../context'
import { requireActiveRoute } from '../device/status'
import { orderView, requirePendingOrder, routeView } from '../manifest/views'
import { appendEvent } from '../outbox/store'

export type RouteHandlers = HandlersFor<'openOrder' | 'moveStop'>

export function routeHandlers(ctx: CoreContext): RouteHandlers {
  return {
    openOrder: ({ orderId }) =>
      answer(() => {
        requireActiveRoute(ctx)
        const order = requirePendingOrder(ctx.db, orderId)
        const door = ctx.doorstep
        if (door.collecting() !== null && door.inHand() !== orderId) {
          // A QR or cash panel is open: the customer may be paying. Go back from it first.
          throw new TuotouError('doorstep.collecting', 'finish or leave the collection that is open first', {
            waybill: order.waybill,
          })
        }
        // Like the next scan, opening another stop ends the last completion's undo window.
        if (door.undo()?.orderId !== orderId) door.closeUndo()
        door.open(orderId)
        door.changed()
        return orderView(ctx.db, order)
      }),

    moveStop: ({ stopId, move, reason }) =>
      answer(() => {
        const shift = requireActiveRoute(ctx)
        const stops = ctx.db.all<{ stop_id: string }>(
          'SELECT stop_id FROM stops WHERE shift_id = ? ORDER BY sequence',
          [shift.shift_id],
        )
        const at = stops.findIndex((s) => s.stop_id === stopId)
        if (at === -1) throw new TuotouError('route.stop_not_found', `stop ${stopId} is not on this route`, { stopId })
        const pending = (id: string): boolean =>
          ctx.db.get("SELECT 1 FROM orders WHERE stop_id = ? AND status = 'pending'", [id]) !== undefined
        if (!pending(stopId))
          throw new TuotouError('route.stop_done', 'this stop has nothing left to deliver', { stopId })
        const inHand = ctx.doorstep.inHand()
        const here = inHand
          ? ctx.db.get('SELECT 1 FROM orders WHERE order_id = ? AND stop_id = ?', [inHand, stopId])
          : undefined
        if (here && ctx.doorstep.collecting() !== null) {
          throw new TuotouError('doorstep.collecting', 'finish or leave the collection at this stop first', { stopId })
        }
        const ids = stops.map((s) => s.stop_id)
        ids.splice(at, 1)
        if (move === 'skip') {
          ids.push(stopId)
        } else {
          // One place later: after the next stop still to do.
          const next = ids.findIndex((id, i) => i >= at && pending(id))
          ids.splice(next === -1 ? ids.length : next + 1, 0, stopId)
        }
        const now = ctx.now().toISOString()
        ctx.db.transaction(() => {
          ids.forEach((id, i) => ctx.db.run('UPDATE stops SET sequence = ? WHERE stop_id = ?', [i + 1, id]))
          ctx.db.run('UPDATE stops SET skipped_reason = ? WHERE stop_id = ?', [move === 'skip' ? reason : null, stopId])
          appendEvent(ctx.db, {
            type: 'stop.moved',
            payload: { stopId, move, reason, order: ids },
            shiftId: shift.shift_id,
            occurredAt: now,
          })
        })
        if (here) {
          ctx.doorstep.letGo()
          ctx.doorstep.changed()
        }
        ctx.outboxChanged()
        const orders = ctx.db.all<{ order_id: string }>('SELECT order_id FROM orders WHERE stop_id = ?', [stopId])
        ctx.events.emit('routeChanged', { orderIds: orders.map((o) => o.order_id) })
        return routeView(ctx.db, shift)
      }),
  }
}
