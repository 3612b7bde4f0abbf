import type { FastifyInstance } from 'fastify'
import { API_PREFIX } from '../../shared/api/common'
import {
  CloseDayRequest,
  CloseDayResponse,
  DAY_CLOSE_PATHS,
  DayParams,
  DayReportQuery,
  DayReportResponse,
} from '../../shared/api/day-close'
import type { BackendContext } from '../context'
import { defineRoute, type RouteTable } from '../http/routes'
import { closeDay, dayReportOf } from './close'

const SUPERVISOR_ERRORS = [
  { status: 400, code: 'request.invalid' },
  { status: 401, code: 'auth.missing' },
  { status: 401, code: 'auth.expired' },
  { status: 403, code: 'auth.supervisors_only' },
] as const

/** Day close (日结): a day's report per courier, and closing it. Keyed by the session's depot only. */
export function registerDayCloseRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  const depotOf = (depotId: string) =>
    context.db
      .selectFrom('depots')
      .select(['id', 'name', 'time_zone'])
      .where('id', '=', depotId)
      .executeTakeFirstOrThrow()

  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}${DAY_CLOSE_PATHS.report}`,
    summary: "A day's report per courier: totals by method, refunds, shortfalls, hand-in, discrepancies, checksum",
    tag: 'dashboard',
    auth: 'supervisor',
    params: DayParams,
    query: DayReportQuery,
    response: DayReportResponse,
    errors: SUPERVISOR_ERRORS,
    handler: async ({ params, query, caller }) =>
      dayReportOf(context, await depotOf(caller.depotId), params.date, query.courierId ?? null),
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}${DAY_CLOSE_PATHS.close}`,
    summary:
      "Closes a courier's day, or the depot's: the figures are frozen with a checksum; a second close changes nothing",
    tag: 'dashboard',
    auth: 'supervisor',
    params: DayParams,
    body: CloseDayRequest,
    response: CloseDayResponse,
    errors: [
      ...SUPERVISOR_ERRORS,
      { status: 404, code: 'courier.not_found' },
      { status: 422, code: 'day.not_over' },
      { status: 422, code: 'day.nothing_to_close' },
    ],
    handler: async ({ params, body, caller: session, request }) => {
      const result = await closeDay(context, session, await depotOf(session.depotId), params.date, body)
      request.log.info(
        {
          event: 'day.closed',
          supervisorId: session.supervisorId,
          date: params.date,
          courierId: body.courierId ?? null,
          newlyClosed: result.newlyClosed.length,
        },
        'day closed',
      )
      return result
    },
  })
}
