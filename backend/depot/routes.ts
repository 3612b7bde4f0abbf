import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { API_PREFIX } from '../../shared/api/common'
import {
  CourierRouteQuery,
  CourierRouteResponse,
  DEPOT_ROUTE_PATHS,
  ReassignRunRequest,
  ReassignRunResponse,
} from '../../shared/api/depot-routes'
import { CourierId } from '../../shared/api/ids'
import { OrderStatus } from '../../shared/api/shift'
import type { BackendContext } from '../context'
import { storedFen, storedOption } from '../dashboard/stored'
import { inTransaction } from '../db/transaction'
import { ApiError, notFound } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { routeDateOf } from '../manifests/route-date'
import { collectionInProgress } from './collection'
import { reassignOrder } from './order-changes'

const CourierParams = z.object({ courierId: CourierId })
const SUPERVISOR_ERRORS = [
  { status: 401, code: 'auth.missing' },
  { status: 401, code: 'auth.expired' },
] as const

/**
 * A courier's route for the depot (`GET /depot/routes/:courierId`) and moving a run of its stops to another
 * courier (`POST /depot/orders/reassign`): all in one transaction through `reassignOrder`, so a refusal of any
 * order (closed, moved meanwhile, a collection in progress) moves none, and both devices hear every change.
 */
export function registerDepotRouteRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}/depot/routes/:courierId`,
    summary: "A courier's orders of the day in route order, each with whether a collection is in progress",
    tag: 'depot',
    auth: 'supervisor',
    params: CourierParams,
    query: CourierRouteQuery,
    response: CourierRouteResponse,
    errors: [...SUPERVISOR_ERRORS, { status: 404, code: 'courier.not_found' }],
    handler: async ({ params, query, caller: session }) => {
      const courier = await context.db
        .selectFrom('couriers')
        .innerJoin('depots', 'depots.id', 'couriers.depot_id')
        .select(['couriers.id', 'couriers.staff_id', 'couriers.name', 'depots.time_zone'])
        .where('couriers.id', '=', params.courierId)
        .where('couriers.depot_id', '=', session.depotId)
        .executeTakeFirst()
      if (!courier) throw notFound('courier.not_found', 'no such courier in this depot')
      const date = query.date ?? routeDateOf(context.now(), courier.time_zone)
      const rows = await context.db
        .selectFrom('orders')
        .innerJoin('stops', 'stops.id', 'orders.stop_id')
        .select([
          'orders.id',
          'orders.stop_id',
          'stops.sequence',
          'orders.waybill',
          'orders.address',
          'orders.cod_fen',
          'orders.status',
        ])
        .where('orders.depot_id', '=', session.depotId)
        .where('orders.courier_id', '=', courier.id)
        .where('orders.route_date', '=', date)
        .orderBy('stops.sequence')
        .orderBy('orders.position')
        .execute()
      const now = context.now()
      const orders = []
      for (const row of rows) {
        // An order of a status this version does not know is left out rather than failing the list.
        const status = storedOption(OrderStatus, row.status)
        if (status === null) continue
        orders.push({
          orderId: row.id,
          stopId: row.stop_id,
          sequence: Math.max(0, Math.trunc(Number(row.sequence)) || 0),
          waybill: row.waybill,
          address: row.address,
          codFen: storedFen(row.cod_fen),
          status,
          collecting: status === 'pending' ? await collectionInProgress(context.db, row.id, now) : null,
        })
      }
      return {
        date,
        courier: { courierId: courier.id, staffId: courier.staff_id, name: courier.name },
        orders,
      }
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}${DEPOT_ROUTE_PATHS.reassign}`,
    summary: 'Moves a run of open orders from one courier to another, all or none; both devices hear it',
    tag: 'depot',
    auth: 'supervisor',
    body: ReassignRunRequest,
    response: ReassignRunResponse,
    errors: [
      ...SUPERVISOR_ERRORS,
      { status: 404, code: 'order.not_found' },
      { status: 404, code: 'courier.not_found' },
      { status: 409, code: 'order.closed' },
      { status: 409, code: 'order.moved' },
      { status: 409, code: 'order.already_assigned' },
      { status: 409, code: 'order.collection_in_progress' },
    ],
    handler: async ({ body, caller: session }) => {
      const from = await context.db
        .selectFrom('couriers')
        .select('id')
        .where('id', '=', body.fromCourierId)
        .where('depot_id', '=', session.depotId)
        .executeTakeFirst()
      if (!from) throw notFound('courier.not_found', 'no such courier in this depot')
      const orders = await inTransaction(context.database, context.log, async (trx, after) => {
        const moved = []
        for (const [index, orderId] of body.orderIds.entries()) {
          try {
            moved.push(
              await reassignOrder(context, trx, after, session.depotId, orderId, body.toCourierId, body.fromCourierId),
            )
          } catch (error) {
            // Which order of the run refused it, by its place in `orderIds`: never the ID sent, echoed back.
            if (error instanceof ApiError)
              throw new ApiError(error.status, error.code, error.message, { ...error.details, index })
            throw error
          }
        }
        return moved
      })
      return { fromCourierId: body.fromCourierId, toCourierId: body.toCourierId, orders }
    },
  })
}
