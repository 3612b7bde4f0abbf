import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { API_PREFIX } from '../../shared/api/common'
import {
  CashDayResponse,
  CourierParams,
  CouriersDayQuery,
  CouriersDayResponse,
  DASHBOARD_PATHS,
  DashboardDayQuery,
  DevicesStatusResponse,
  LogoutResponse,
  RecordCashRequest,
  RecordCashResponse,
} from '../../shared/api/dashboard'
import { hashToken } from '../auth/tokens'
import type { BackendContext } from '../context'
import type { SupervisorSession } from '../depot/auth'
import { badRequest } from '../http/errors'
import { startEventStream, type EventStream } from '../http/event-stream'
import { defineRoute, defineStream, type RouteTable } from '../http/routes'
import { routeDateOf } from '../manifests/route-date'
import {
  ATTENTION_RESOLVE_PATH,
  AttentionItemParams,
  AttentionQueueResponse,
  ResolveAttentionRequest,
  ResolveAttentionResponse,
} from '../../shared/api/attention'
import { attentionQueueOfDay, resolveAttentionItem } from './attention-queue'
import { cashOfDay, recordCashHandin } from './cash'
import { couriersOfDay, type DepotOfDay } from './couriers'
import { devicesOfDay } from './devices'
import { dashboardTopic } from './live'

const SUPERVISOR_ERRORS = [
  { status: 400, code: 'request.invalid' },
  { status: 401, code: 'auth.missing' },
  { status: 401, code: 'auth.expired' },
  { status: 403, code: 'auth.supervisors_only' },
] as const

/** The shortest gap between two `changed` messages on one dashboard stream: bursts of ingest coalesce. */
export const STREAM_COALESCE_MS = 1_000

/**
 * The depot dashboard's API: per-courier figures, device backlogs, what needs attention and cash
 * reconciliation for a day, the supervisor recording cash received, a live stream of changes, and logout.
 * Every read is for the supervisor's own depot; nothing here takes a depot from the request.
 */
export function registerDashboardRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  const depotOf = async (session: SupervisorSession): Promise<DepotOfDay> =>
    context.db
      .selectFrom('depots')
      .select(['id', 'name', 'time_zone'])
      .where('id', '=', session.depotId)
      .executeTakeFirstOrThrow()
  const dayOf = (depot: DepotOfDay, date: string | undefined): { date: string; today: string } => {
    const today = routeDateOf(context.now(), depot.time_zone)
    return { date: date ?? today, today }
  }

  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}${DASHBOARD_PATHS.couriers}`,
    summary: 'Per courier for a day: stops, deliveries per hour, stop times, COD by method, failures, projection',
    tag: 'dashboard',
    auth: 'supervisor',
    query: CouriersDayQuery,
    response: CouriersDayResponse,
    errors: SUPERVISOR_ERRORS,
    handler: async ({ query, caller }) => {
      const depot = await depotOf(caller)
      const { date, today } = dayOf(depot, query.date)
      return couriersOfDay(context.db, depot, date, query.target ?? null, context.now(), today)
    },
  })

  /** A read of the supervisor's own depot on one day (today in the depot's time zone unless asked). */
  const dayView = <R extends z.ZodType>(
    path: string,
    summary: string,
    response: R,
    read: (db: BackendContext['db'], depotId: string, date: string, nowMs: number) => Promise<z.input<R>>,
  ): void =>
    defineRoute(app, routes, {
      method: 'GET',
      url: `${API_PREFIX}${path}`,
      summary,
      tag: 'dashboard',
      auth: 'supervisor',
      query: DashboardDayQuery,
      response,
      errors: SUPERVISOR_ERRORS,
      handler: async ({ query, caller }) => {
        const depot = await depotOf(caller)
        return read(context.db, depot.id, dayOf(depot, query.date).date, context.now())
      },
    })
  dayView(
    DASHBOARD_PATHS.devices,
    "The depot's devices: unsent events and the oldest one's age from the heartbeat, last contact",
    DevicesStatusResponse,
    devicesOfDay,
  )
  dayView(
    DASHBOARD_PATHS.attention,
    'Needs attention on a day: payment settlements, flags to refund, events rejected on business grounds, and the work queue',
    AttentionQueueResponse,
    attentionQueueOfDay,
  )
  dayView(
    DASHBOARD_PATHS.cash,
    "Cash reconciliation for a day: each courier's expected, declared and received cash, and the audit",
    CashDayResponse,
    cashOfDay,
  )

  defineRoute(app, routes, {
    method: 'PUT',
    url: `${API_PREFIX}${DASHBOARD_PATHS.cash}/:courierId`,
    summary: 'Records the cash a supervisor received from a courier for a day; a discrepancy needs a note',
    tag: 'dashboard',
    auth: 'supervisor',
    params: CourierParams,
    body: RecordCashRequest,
    response: RecordCashResponse,
    errors: [
      ...SUPERVISOR_ERRORS,
      { status: 404, code: 'courier.not_found' },
      { status: 409, code: 'cash.version_conflict' },
      { status: 409, code: 'day.closed' },
      { status: 422, code: 'cash.note_required' },
    ],
    handler: async ({ params, body, caller: session, request }) => {
      const result = await recordCashHandin(context, session, params.courierId, body)
      request.log.info(
        {
          event: 'cash.recorded',
          supervisorId: session.supervisorId,
          courierId: params.courierId,
          date: body.date,
          receivedFen: body.receivedFen,
          changed: result.audit !== null,
        },
        'cash hand-in recorded',
      )
      return result
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}${ATTENTION_RESOLVE_PATH}`,
    summary: 'Closes an item of the work queue with an action and a note; who and when are recorded',
    tag: 'dashboard',
    auth: 'supervisor',
    params: AttentionItemParams,
    body: ResolveAttentionRequest,
    response: ResolveAttentionResponse,
    errors: [
      ...SUPERVISOR_ERRORS,
      { status: 404, code: 'attention.not_found' },
      { status: 404, code: 'order.not_found' },
      { status: 404, code: 'courier.not_found' },
      { status: 409, code: 'attention.already_resolved' },
      { status: 409, code: 'order.closed' },
      { status: 409, code: 'order.already_assigned' },
      { status: 409, code: 'order.moved' },
      { status: 409, code: 'order.collection_in_progress' },
      { status: 409, code: 'day.closed' },
      { status: 422, code: 'attention.action_not_allowed' },
    ],
    handler: async ({ params, body, caller: session, request }) => {
      const result = await resolveAttentionItem(context, session, params.itemId, body)
      request.log.info(
        { event: 'attention.resolved', supervisorId: session.supervisorId, itemId: params.itemId, action: body.action },
        'work-queue item resolved',
      )
      return result
    },
  })

  defineRoute(app, routes, {
    method: 'DELETE',
    url: `${API_PREFIX}/depot/sessions/current`,
    summary: "Logs the supervisor out: the session's token stops working",
    tag: 'dashboard',
    auth: 'supervisor',
    response: LogoutResponse,
    errors: SUPERVISOR_ERRORS,
    handler: async ({ request }) => {
      const token = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization?.trim() ?? '')![1]!
      await context.db.deleteFrom('supervisor_sessions').where('token_hash', '=', hashToken(token)).execute()
      return { loggedOut: true as const }
    },
  })

  registerDashboardStream(app, routes, context)
}

/**
 * `GET /api/v1/depot/dashboard/stream`: server-sent `changed` messages for the supervisor's depot, woken by the
 * stream hub (in-process on SQLite; LISTEN/NOTIFY on PostgreSQL, so a push taken by another instance is heard
 * here). Wake-ups are coalesced to one message per `STREAM_COALESCE_MS`; the client refetches what it shows.
 * The supervisor token travels in the Authorization header, so it never lands in a URL or a log.
 */
function registerDashboardStream(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineStream(app, routes, {
    url: `${API_PREFIX}${DASHBOARD_PATHS.stream}`,
    summary: "Live changes of the supervisor's depot (server-sent events: `changed`)",
    tag: 'dashboard',
    auth: 'supervisor',
    query: z.object({}).strict(),
    errors: SUPERVISOR_ERRORS,
    handler: async ({ caller: session, request, reply }) => {
      const depot = { id: session.depotId }
      if (!/text\/event-stream|\*\/\*/.test(request.headers.accept ?? '*/*')) {
        throw badRequest('stream.not_acceptable', 'this is a server-sent event stream: Accept: text/event-stream')
      }

      let stream: EventStream | null = null
      let seq = 0
      let lastSent = 0
      let timer: NodeJS.Timeout | null = null
      const send = (): void => {
        timer = null
        if (!stream?.open) return
        lastSent = Date.now()
        const data = JSON.stringify({ depotId: depot.id, at: new Date(context.now()).toISOString(), seq: ++seq })
        stream.send(seq, 'changed', data)
      }
      const wake = (): void => {
        if (!stream?.open || timer) return
        timer = setTimeout(send, Math.max(0, lastSent + STREAM_COALESCE_MS - Date.now()))
      }
      // Subscribed before the answer starts, so a hub failure is still a JSON error.
      const unsubscribe = await context.hub.subscribe(depot.id, dashboardTopic(depot.id), wake)
      stream = startEventStream(reply, {
        comment: `dashboard stream for ${depot.id}`,
        keepAliveMs: context.config.keepAliveMs,
        onClose: () => {
          if (timer) clearTimeout(timer)
          unsubscribe()
        },
      })
      if (!stream.open) return
      request.log.info({ event: 'dashboard.stream_open', depotId: depot.id }, 'dashboard stream opened')
      // A dashboard (re)connecting may have missed changes while it was away: the first message says so.
      wake()
    },
  })
}
