import type { FastifyInstance } from 'fastify'
import { API_PREFIX } from '../../shared/api/common'
import { ClosureResponse } from '../../shared/api/closure'
import type { BackendContext } from '../context'
import { courierRef, couriersOfDepot } from '../dashboard/couriers'
import { storedCount, storedInstant } from '../dashboard/stored'
import { defineRoute, type RouteTable } from '../http/routes'
import { intentsPastBound } from './worker'

const SUPERVISOR_ERRORS = [
  { status: 401, code: 'auth.missing' },
  { status: 401, code: 'auth.expired' },
  { status: 403, code: 'auth.supervisors_only' },
] as const

/** A stored time that is no time reads as the epoch, never a 500 (`dashboard/stored.ts`). */
const EPOCH = new Date(0).toISOString()

/** How many of each the list shows, oldest first: the target is none at all. */
const SHOWN = 500

/** `GET /api/v1/depot/closure`: the depot's intents and charges past the bound with no final state yet. */
export function registerClosureRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}/depot/closure`,
    summary: 'Intents and charges past the bound that have not reached a final state (the target is zero)',
    tag: 'depot',
    auth: 'supervisor',
    response: ClosureResponse,
    errors: SUPERVISOR_ERRORS,
    handler: async ({ caller: session }) => {
      const now = context.now()
      const { afterMs } = context.config.closure
      const [intents, charges, couriers] = await Promise.all([
        intentsPastBound(context.db, now, afterMs, session.depotId).limit(SHOWN).execute(),
        context.db
          .selectFrom('charges')
          .innerJoin('orders', 'orders.id', 'charges.order_id')
          .selectAll('charges')
          .select('orders.waybill')
          .where('charges.depot_id', '=', session.depotId)
          .where('charges.final_ms', 'is', null)
          .where('charges.deadline_ms', '<=', now - afterMs)
          .orderBy('charges.created_ms')
          .limit(SHOWN)
          .execute(),
        couriersOfDepot(context.db, session.depotId),
      ])
      return {
        generatedAt: new Date(now).toISOString(),
        boundMs: afterMs,
        intents: intents.map((row) => ({
          intentId: row.id,
          orderId: row.order_id,
          waybill: row.waybill,
          courier: courierRef(couriers, row.courier_id),
          amountFen: row.amount_fen,
          status: row.status,
          doorLeftAt: storedInstant(row.door_left_ms) ?? EPOCH,
          pastBoundMs: storedCount(now - Number(row.door_left_ms) - afterMs),
          attempts: storedCount(row.attempts),
          lastError: row.last_error,
        })),
        charges: charges.map((row) => ({
          chargeNo: row.charge_no,
          intentId: row.intent_id,
          orderId: row.order_id,
          waybill: row.waybill,
          amountFen: row.amount_fen,
          status: row.status,
          failure: row.failure,
          createdAt: storedInstant(row.created_ms) ?? EPOCH,
          pastBoundMs: storedCount(now - Number(row.deadline_ms) - afterMs),
          queries: storedCount(row.queries),
          lastError: row.last_error,
        })),
      }
    },
  })
}
