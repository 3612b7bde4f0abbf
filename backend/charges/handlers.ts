import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { ChargeNo } from '../../shared/api/acquirer'
import { ChargeRequest, ChargeResponse } from '../../shared/api/charges'
import { API_PREFIX } from '../../shared/api/common'
import { IntentId } from '../../shared/api/ids'
import { INTENT_ALREADY_PAID } from '../../shared/api/intents'
import type { BackendContext } from '../context'
import { forbidden, notFound } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { ownIntent } from '../intents/handlers'
import { chargeCode } from './service'
import { chargeView } from './store'

const IntentParams = z.object({ intentId: IntentId })
const ChargeParams = z.object({ chargeNo: ChargeNo })
const AUTH_ERRORS = [
  { status: 401, code: 'auth.missing' },
  { status: 401, code: 'auth.expired' },
  { status: 403, code: 'auth.forbidden' },
] as const

/**
 * Charging the customer's payment code (付款码) for an order (shift token; only the courier's own orders), and the
 * charge as it stands, for a device that lost the stream. `shared/api/charges.ts` describes both.
 */
export function registerChargeRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/intents/:intentId/charge`,
    summary: "Charges the customer's payment code for this intent; queried and revoked by the acquirer's rules",
    tag: 'intents',
    auth: 'shift',
    params: IntentParams,
    body: ChargeRequest,
    response: ChargeResponse,
    errors: [
      ...AUTH_ERRORS,
      { status: 400, code: 'charge.bad_code' },
      { status: 404, code: 'intent.not_found' },
      { status: 409, code: 'order.closed' },
      { status: 409, code: INTENT_ALREADY_PAID },
      { status: 409, code: 'intent.not_payable' },
      { status: 409, code: 'charge.in_progress' },
      { status: 503, code: 'acquirer.not_configured' },
    ],
    handler: async ({ params, body, caller }) => {
      return chargeCode(context, await ownIntent(context, caller, params.intentId), body.authCode)
    },
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}/charges/:chargeNo`,
    summary: 'A charge of a customer’s payment code as it stands',
    tag: 'intents',
    auth: 'shift',
    params: ChargeParams,
    response: ChargeResponse,
    errors: [...AUTH_ERRORS, { status: 404, code: 'charge.not_found' }],
    handler: async ({ params, caller: shift }) => {
      const charge = await context.db
        .selectFrom('charges')
        .innerJoin('orders', 'orders.id', 'charges.order_id')
        .selectAll('charges')
        .select('orders.courier_id')
        .where('charges.charge_no', '=', params.chargeNo)
        .executeTakeFirst()
      if (!charge) throw notFound('charge.not_found', 'no such charge')
      if (charge.courier_id !== shift.courier_id) {
        throw forbidden('auth.forbidden', "a charge is reachable only from its order's courier")
      }
      return chargeView(charge)
    },
  })
}
