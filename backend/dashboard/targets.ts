import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { API_PREFIX } from '../../shared/api/common'
import { DASHBOARD_PATHS, SetCourierTargetRequest, SetCourierTargetResponse } from '../../shared/api/dashboard'
import { CourierId } from '../../shared/api/ids'
import type { BackendContext } from '../context'
import { inTransaction } from '../db/transaction'
import { notFound } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { announceDashboardChange } from './live'

const CourierParams = z.object({ courierId: CourierId })

/**
 * A courier's own target for a day (`PUT /depot/dashboard/targets/:courierId`): per courier and per day, since a
 * route's size changes day to day; null clears it, and the courier is held to their route's size again (or the
 * day's target for everyone, when the supervisor typed one). The couriers view says where each target came from.
 */
export function registerTargetRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineRoute(app, routes, {
    method: 'PUT',
    url: `${API_PREFIX}${DASHBOARD_PATHS.targets}/:courierId`,
    summary: "Sets (or clears) a courier's target deliveries for a day",
    tag: 'dashboard',
    auth: 'supervisor',
    params: CourierParams,
    body: SetCourierTargetRequest,
    response: SetCourierTargetResponse,
    errors: [
      { status: 401, code: 'auth.missing' },
      { status: 401, code: 'auth.expired' },
      { status: 404, code: 'courier.not_found' },
    ],
    handler: async ({ params, body, caller: session }) => {
      await inTransaction(context.database, context.log, async (trx, after) => {
        const courier = await trx
          .selectFrom('couriers')
          .select('id')
          .where('id', '=', params.courierId)
          .where('depot_id', '=', session.depotId)
          .executeTakeFirst()
        if (!courier) throw notFound('courier.not_found', 'no such courier in this depot')
        if (body.target === null) {
          await trx
            .deleteFrom('courier_targets')
            .where('depot_id', '=', session.depotId)
            .where('route_date', '=', body.date)
            .where('courier_id', '=', courier.id)
            .execute()
        } else {
          await trx
            .insertInto('courier_targets')
            .values({
              depot_id: session.depotId,
              courier_id: courier.id,
              route_date: body.date,
              target: body.target,
              set_by: session.supervisorId,
              set_ms: context.now(),
            })
            .onConflict((conflict) =>
              conflict.columns(['depot_id', 'route_date', 'courier_id']).doUpdateSet({
                target: body.target!,
                set_by: session.supervisorId,
                set_ms: context.now(),
              }),
            )
            .execute()
        }
        await announceDashboardChange(context, trx, after, session.depotId)
      })
      return { courierId: params.courierId, date: body.date, target: body.target }
    },
  })
}
