import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { CallBindingResponse } from '../../shared/api/calls'
import { API_PREFIX } from '../../shared/api/common'
import { OrderId } from '../../shared/api/ids'
import type { BackendContext } from '../context'
import { ApiError, notFound } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'

const OrderParams = z.object({ orderId: OrderId })

/** `POST /api/v1/orders/:orderId/calls`: a virtual number for the order's customer, for the courier on shift. */
export function registerCallRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/orders/:orderId/calls`,
    summary: "Binds a virtual number to the order's customer for the delivery window; the real number stays here",
    tag: 'calls',
    auth: 'shift',
    params: OrderParams,
    response: CallBindingResponse,
    status: 201,
    errors: [
      { status: 401, code: 'auth.missing' },
      { status: 404, code: 'order.not_found' },
      { status: 503, code: 'telephony.unavailable' },
    ],
    handler: async ({ params, caller: shift }) => {
      const order = await context.db
        .selectFrom('orders')
        .select(['id', 'courier_id', 'recipient_phone', 'status'])
        .where('id', '=', params.orderId)
        .executeTakeFirst()
      // Only the courier's own order: another's is as unknown as one that does not exist.
      if (!order || order.courier_id !== shift.courier_id) {
        throw notFound('order.not_found', 'no such order on your route')
      }
      const telephony = context.telephony
      if (!telephony) throw new ApiError(503, 'telephony.unavailable', 'no virtual-number service is configured')
      const untilMs = shift.expires_ms
      const bound = await telephony.bind({ orderId: order.id, customerPhone: order.recipient_phone, untilMs })
      const now = context.now()
      await context.db
        .insertInto('call_bindings')
        .values({
          id: bound.bindingId,
          order_id: order.id,
          shift_id: shift.id,
          number: bound.number,
          extension: bound.extension,
          provider: telephony.name,
          valid_until_ms: untilMs,
          created_ms: now,
        })
        .execute()
      return {
        bindingId: bound.bindingId,
        orderId: order.id,
        number: bound.number,
        extension: bound.extension,
        validUntil: new Date(untilMs).toISOString(),
      }
    },
  })
}
