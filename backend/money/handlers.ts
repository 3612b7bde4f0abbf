import type { FastifyInstance } from 'fastify'
import { API_PREFIX } from '../../shared/api/common'
import { MoneyDayResponse } from '../../shared/api/closure'
import { MoneyDayQuery } from '../../shared/api/money'
import type { BackendContext } from '../context'
import { defineRoute, type RouteTable } from '../http/routes'
import { routeDateOf } from '../manifests/route-date'
import { moneyOfDay } from './day'

/** `GET /api/v1/depot/dashboard/money?date`: the day's money as it truly stands, per courier and for the depot. */
export function registerMoneyRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}/depot/dashboard/money`,
    summary:
      "The day's money: digital only as the acquirer confirmed it, unverified never found as owed, refunds due and paid, collected, refunded and net",
    tag: 'dashboard',
    auth: 'supervisor',
    query: MoneyDayQuery,
    response: MoneyDayResponse,
    errors: [
      { status: 400, code: 'request.invalid' },
      { status: 401, code: 'auth.missing' },
      { status: 401, code: 'auth.expired' },
      { status: 403, code: 'auth.supervisors_only' },
    ],
    handler: async ({ query, caller: session }) => {
      const depot = await context.db
        .selectFrom('depots')
        .select('time_zone')
        .where('id', '=', session.depotId)
        .executeTakeFirstOrThrow()
      const now = context.now()
      return moneyOfDay(context.db, session.depotId, query.date ?? routeDateOf(now, depot.time_zone), now)
    },
  })
}
