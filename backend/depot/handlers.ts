import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { z } from 'zod'
import { API_PREFIX } from '../../shared/api/common'
import {
  DepotDevicesResponse,
  DepotFlagsResponse,
  OrderChangeResponse,
  ReassignOrderRequest,
  SupervisorLoginRequest,
  SupervisorLoginResponse,
} from '../../shared/api/depot'
import { CreateEnrollmentCodeResponse } from '../../shared/api/device'
import { OrderId } from '../../shared/api/ids'
import { attemptLogin } from '../auth/lockout'
import { decoyHash, verifySecret } from '../auth/secrets'
import { hashToken, issueToken } from '../auth/tokens'
import type { BackendContext } from '../context'
import { announceDashboardChange } from '../dashboard/live'
import {
  orNull,
  storedCount,
  storedFen,
  storedInstant,
  storedOption,
  storedTimestamp,
  storedTimestampOrEpoch,
} from '../dashboard/stored'
import { FlagKind } from '../../shared/api/stream'
import { inTransaction } from '../db/transaction'
import { createEnrollmentCode } from '../devices/enrollment'
import { ApiError, conflict, notFound, unauthorized } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { announceManifestChange, reassignOrder, withdrawOpenIntents } from './order-changes'

const OrderParams = z.object({ orderId: OrderId })
const SUPERVISOR_ERRORS = [
  { status: 401, code: 'auth.missing' },
  { status: 401, code: 'auth.expired' },
] as const

/**
 * The supervisor's side: login, enrollment codes, route changes (cancel, reassign) that reach the courier's
 * device as manifest messages, device backlogs and open flags. The depot dashboard builds on these.
 */
export function registerDepotRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/depot/sessions`,
    summary: 'Supervisor login; repeated wrong passwords lock the login for a while',
    tag: 'depot',
    auth: 'none',
    body: SupervisorLoginRequest,
    response: SupervisorLoginResponse,
    status: 201,
    errors: [
      { status: 401, code: 'depot.bad_credentials' },
      { status: 423, code: 'depot.locked' },
    ],
    handler: async ({ body, request }) => {
      const supervisor = await context.db
        .selectFrom('supervisors')
        .selectAll()
        .where('login', '=', body.login)
        .executeTakeFirst()
      // Unknown or not, the attempt is counted and checked the same way (a decoy hash for nobody).
      const outcome = await attemptLogin(
        context,
        { scope: 'supervisor', subject: body.login },
        async () =>
          (await verifySecret(body.password, supervisor?.password_hash ?? (await decoyHash()))) && !!supervisor,
        async (trx) => {
          const now = context.now()
          const token = issueToken('supervisor')
          const expiresMs = now + context.config.supervisorSessionTtlMs
          await trx
            .insertInto('supervisor_sessions')
            .values({
              token_hash: hashToken(token),
              supervisor_id: supervisor!.id,
              depot_id: supervisor!.depot_id,
              created_at: new Date(now).toISOString(),
              expires_ms: expiresMs,
            })
            .execute()
          const depot = await trx
            .selectFrom('depots')
            .select(['id', 'name'])
            .where('id', '=', supervisor!.depot_id)
            .executeTakeFirstOrThrow()
          return {
            supervisorToken: token,
            expiresAt: new Date(expiresMs).toISOString(),
            supervisor: { supervisorId: supervisor!.id, name: supervisor!.name },
            depot: { depotId: depot.id, name: depot.name },
          }
        },
      )
      if (outcome.kind === 'refused') {
        throw unauthorized('depot.bad_credentials', 'wrong login or password', { attemptsLeft: outcome.attemptsLeft })
      }
      if (outcome.kind === 'locked') {
        if (outcome.lockedNow) request.log.warn({ event: 'supervisor.locked' }, 'supervisor login locked')
        throw new ApiError(423, 'depot.locked', 'too many wrong passwords; try again later', {
          lockedUntil: new Date(outcome.lockedUntilMs).toISOString(),
        })
      }
      return outcome.value
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/depot/enrollment-codes`,
    summary: 'A new single-use enrollment code for a device of this depot',
    tag: 'depot',
    auth: 'supervisor',
    response: CreateEnrollmentCodeResponse,
    status: 201,
    errors: SUPERVISOR_ERRORS,
    handler: async ({ caller: session }) => {
      return createEnrollmentCode(context.db, {
        depotId: session.depotId,
        createdBy: session.supervisorId,
        ttlMs: context.config.enrollmentCodeTtlMs,
        nowMs: context.now(),
      })
    },
  })

  const loadOrder = async (depotId: string, orderId: string) => {
    const order = await context.db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst()
    if (!order || order.depot_id !== depotId) throw notFound('order.not_found', 'no such order in this depot')
    if (order.status !== 'pending') throw conflict('order.closed', `the order is ${order.status}`)
    return order
  }
  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/depot/orders/:orderId/cancel`,
    summary: "Cancels an open order; the courier's device hears it as a manifest change",
    tag: 'depot',
    auth: 'supervisor',
    params: OrderParams,
    response: OrderChangeResponse,
    errors: [...SUPERVISOR_ERRORS, { status: 404, code: 'order.not_found' }, { status: 409, code: 'order.closed' }],
    handler: async ({ params, caller: session }) => {
      const order = await loadOrder(session.depotId, params.orderId)
      const version = await inTransaction(context.database, context.log, async (trx, after) => {
        const changed = await trx
          .updateTable('orders')
          .set({ status: 'cancelled' })
          .where('id', '=', order.id)
          .where('status', '=', 'pending')
          .executeTakeFirst()
        if (Number(changed.numUpdatedRows) === 0) throw conflict('order.closed', 'the order just closed')
        await withdrawOpenIntents(context, trx, after, order.id)
        await announceDashboardChange(context, trx, after, session.depotId)
        return announceManifestChange(context, trx, after, order.route_id, order.courier_id, order.id, 'cancelled')
      })
      return { orderId: order.id, status: 'cancelled' as const, courierId: order.courier_id, version }
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/depot/orders/:orderId/reassign`,
    summary: 'Moves an open order to another courier of the depot; both devices hear it',
    tag: 'depot',
    auth: 'supervisor',
    params: OrderParams,
    body: ReassignOrderRequest,
    response: OrderChangeResponse,
    errors: [
      ...SUPERVISOR_ERRORS,
      { status: 404, code: 'order.not_found' },
      { status: 404, code: 'courier.not_found' },
      { status: 409, code: 'order.closed' },
      { status: 409, code: 'order.already_assigned' },
      { status: 409, code: 'order.moved' },
      { status: 409, code: 'order.collection_in_progress' },
    ],
    handler: async ({ params, body, caller: session }) => {
      await loadOrder(session.depotId, params.orderId)
      return inTransaction(context.database, context.log, (trx, after) =>
        reassignOrder(context, trx, after, session.depotId, params.orderId, body.courierId),
      )
    },
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}/depot/devices`,
    summary: "The depot's devices with the backlog of their last heartbeat",
    tag: 'depot',
    auth: 'supervisor',
    response: DepotDevicesResponse,
    errors: SUPERVISOR_ERRORS,
    handler: async ({ caller: session }) => {
      const devices = await context.db
        .selectFrom('devices')
        .selectAll()
        .where('depot_id', '=', session.depotId)
        .where('revoked_at', 'is', null)
        .orderBy('enrolled_at')
        .execute()
      return {
        devices: devices.map((device) => ({
          deviceId: device.id,
          label: device.label,
          enrolledAt: storedTimestampOrEpoch(device.enrolled_at),
          ackedSeq: storedCount(device.acked_seq),
          pendingCount: orNull(storedCount)(device.pending_count),
          oldestPendingAt: storedTimestamp(device.oldest_pending_at),
          appVersion: device.app_version,
          lastSyncAt: storedTimestamp(device.last_sync_at),
          lastContactAt: storedInstant(device.last_contact_ms),
        })),
      }
    },
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}/depot/flags`,
    summary: 'Flags the depot must put right, newest first',
    tag: 'depot',
    auth: 'supervisor',
    response: DepotFlagsResponse,
    errors: SUPERVISOR_ERRORS,
    handler: async ({ caller: session }) => {
      const flags = await context.db
        .selectFrom('flags')
        .innerJoin('orders', 'orders.id', 'flags.order_id')
        .select([
          'flags.id',
          'flags.order_id',
          'orders.waybill',
          'flags.kind',
          'flags.intent_id',
          'flags.transaction_id',
          'flags.amount_fen',
          'flags.note',
          'flags.created_ms',
          'flags.resolved_ms',
        ])
        .where('flags.depot_id', '=', session.depotId)
        .orderBy('flags.created_ms', 'desc')
        .orderBy(sql`flags.id`)
        .limit(500)
        .execute()
      return {
        // A flag of a kind this version does not know is left out rather than failing the list.
        flags: flags.flatMap((flag) => {
          const kind = storedOption(FlagKind, flag.kind)
          if (kind === null) return []
          return [
            {
              flagId: flag.id,
              orderId: flag.order_id,
              waybill: flag.waybill,
              kind,
              intentId: flag.intent_id,
              transactionId: flag.transaction_id,
              amountFen: storedFen(flag.amount_fen),
              note: flag.note,
              createdAt: storedTimestampOrEpoch(null, flag.created_ms),
              resolvedAt: storedInstant(flag.resolved_ms),
            },
          ]
        }),
      }
    },
  })
}
