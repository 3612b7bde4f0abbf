import { CallBindingResponse } from '../../../shared/api/calls'
import { TuotouError } from '../../../shared/errors'
import type { CoreContext, HandlersFor } from '../context'
import { requireShift } from '../device/status'
import { requireInHand } from '../doorstep/require'
import { appendEvent } from '../outbox/store'

export type ContactHandlers = HandlersFor<'callCustomer'>

export function contactHandlers(ctx: CoreContext): ContactHandlers {
  return {
    callCustomer: async ({ orderId }) => {
      // From the order card, scanned or opened from the route: calling needs no parcel in hand.
      const order = requireInHand(ctx, orderId, { opened: true })
      const { token } = requireShift(ctx)
      let binding
      try {
        binding = await ctx.backend.request({
          method: 'POST',
          path: `/api/v1/orders/${encodeURIComponent(orderId)}/calls`,
          token,
          response: CallBindingResponse,
          timeoutMs: 5000,
        })
      } catch (error) {
        if (error instanceof TuotouError && error.code === 'backend.unreachable') {
          throw new TuotouError('call.offline', 'no coverage: calling the customer needs the network', {
            waybill: order.waybill,
          })
        }
        throw error
      }
      const at = ctx.now().toISOString()
      ctx.db.transaction(() => {
        ctx.db.run('INSERT INTO call_attempts (order_id, attempt, binding_id, number, at) VALUES (?, ?, ?, ?, ?)', [
          orderId,
          order.attempt,
          binding.bindingId,
          binding.number,
          at,
        ])
        appendEvent(ctx.db, {
          type: 'call.attempted',
          payload: { orderId, bindingId: binding.bindingId },
          shiftId: order.shift_id,
          occurredAt: at,
        })
      })
      ctx.outboxChanged()
      ctx.events.emit('routeChanged', { orderIds: [orderId] })
      return {
        orderId,
        number: binding.number,
        extension: binding.extension,
        validUntil: binding.validUntil,
      }
    },
  }
}
