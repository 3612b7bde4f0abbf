import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { API_PREFIX } from '../../shared/api/common'
import { IntentId } from '../../shared/api/ids'
import { INTENT_ALREADY_PAID, IntentResponse, SplitRequest } from '../../shared/api/intents'
import type { BackendContext } from '../context'
import type { OrderTable, PaymentIntentTable, ShiftTable } from '../db/schema'
import { forbidden, notFound } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { refreshCoalesced } from './coalesce'
import { cancelIntent, renewIntent, toPaymentIntent } from './service'
import { splitIntent } from './split'

const IntentParams = z.object({ intentId: IntentId })
const AUTH_ERRORS = [
  { status: 401, code: 'auth.missing' },
  { status: 401, code: 'auth.expired' },
  { status: 403, code: 'auth.forbidden' },
  { status: 404, code: 'intent.not_found' },
] as const

/** The intent and its order, if the order is on the calling courier's manifest (403 otherwise). */
export async function ownIntent(
  context: BackendContext,
  shift: ShiftTable,
  intentId: string,
): Promise<{ intent: PaymentIntentTable; order: OrderTable; deviceId: string; shiftId: string }> {
  const intent = await context.db
    .selectFrom('payment_intents')
    .selectAll()
    .where('id', '=', intentId)
    .executeTakeFirst()
  if (!intent) throw notFound('intent.not_found', 'no such intent')
  const order = await context.db
    .selectFrom('orders')
    .selectAll()
    .where('id', '=', intent.order_id)
    .executeTakeFirstOrThrow()
  if (order.courier_id !== shift.courier_id) {
    throw forbidden('auth.forbidden', "an intent is reachable only from its order's courier")
  }
  return { intent, order, deviceId: shift.device_id, shiftId: shift.id }
}

/** Payment intent status, renewal and cancellation (shift token), as `shared/api/intents.ts` describes. */
export function registerIntentRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}/intents/:intentId`,
    summary: "An intent's status; a pending one is checked with the acquirer (at most once a second per intent)",
    tag: 'intents',
    auth: 'shift',
    params: IntentParams,
    response: IntentResponse,
    errors: AUTH_ERRORS,
    handler: async ({ params, caller, request }) => {
      let { intent } = await ownIntent(context, caller, params.intentId)
      if (intent.status === 'pending') {
        // The poll is the fallback for a slow notification, so it asks the acquirer (coalesced: one query per
        // intent per second however many poll); if that fails, the backend's own view is still a correct answer.
        intent = await refreshCoalesced(context, intent).catch((error: unknown) => {
          request.log.warn({ err: error, intentId: intent.id }, 'acquirer query failed; answering what we know')
          return intent
        })
      }
      return toPaymentIntent(intent, context.now())
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/intents/:intentId/renew`,
    summary: 'A new intent (new ID, new QR) after this one expired or was cancelled',
    tag: 'intents',
    auth: 'shift',
    params: IntentParams,
    response: IntentResponse,
    errors: [
      ...AUTH_ERRORS,
      { status: 409, code: INTENT_ALREADY_PAID },
      { status: 409, code: 'intent.not_expired' },
      { status: 409, code: 'order.closed' },
      { status: 503, code: 'acquirer.unavailable' },
    ],
    handler: async ({ params, caller }) => {
      const { intent, order, deviceId } = await ownIntent(context, caller, params.intentId)
      return toPaymentIntent(await renewIntent(context, intent, order, deviceId), context.now())
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/intents/:intentId/cancel`,
    summary: 'Cancels an intent with the acquirer (the courier switched to cash)',
    tag: 'intents',
    auth: 'shift',
    params: IntentParams,
    response: IntentResponse,
    errors: [...AUTH_ERRORS, { status: 409, code: INTENT_ALREADY_PAID }, { status: 503, code: 'acquirer.unavailable' }],
    handler: async ({ params, caller }) => {
      const { intent } = await ownIntent(context, caller, params.intentId)
      return toPaymentIntent(await cancelIntent(context, intent), context.now())
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/intents/:intentId/split`,
    summary: "A split payment: an intent for the digital part only; the order's other open intents are withdrawn",
    tag: 'intents',
    auth: 'shift',
    params: IntentParams,
    body: SplitRequest,
    response: IntentResponse,
    errors: [
      ...AUTH_ERRORS,
      { status: 409, code: INTENT_ALREADY_PAID },
      { status: 409, code: 'order.closed' },
      { status: 409, code: 'split.key_reused' },
      { status: 409, code: 'split.in_progress' },
      { status: 422, code: 'split.bad_amount' },
      { status: 503, code: 'acquirer.unavailable' },
    ],
    handler: async ({ params, body, caller }) => {
      const { order, deviceId } = await ownIntent(context, caller, params.intentId)
      return toPaymentIntent(await splitIntent(context, order, deviceId, body), context.now())
    },
  })
}
