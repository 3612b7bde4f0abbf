import type { FastifyInstance } from 'fastify'
import { API_PREFIX } from '../../shared/api/common'
import { LoginRequest, LoginResponse } from '../../shared/api/shift'
import { attemptLogin } from '../auth/lockout'
import { decoyHash, verifySecret } from '../auth/secrets'
import { hashToken, issueToken } from '../auth/tokens'
import type { BackendContext } from '../context'
import type { Trx } from '../db/connect'
import type { AfterCommit } from '../db/transaction'
import type { CourierTable, DeviceTable } from '../db/schema'
import { ApiError, unauthorized } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { newId } from '../ids'
import { routeDateOf } from '../manifests/route-date'
import { appendStreamMessage } from '../stream/messages'

const BAD_CREDENTIALS = 'shift.bad_credentials'

/** Courier login on an enrolled device (device token): a shift starts, with its own token. */
export function registerShiftRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/shifts`,
    summary: 'A courier logs in with staff ID and PIN on an enrolled device; a shift starts',
    tag: 'shifts',
    auth: 'device',
    body: LoginRequest,
    response: LoginResponse,
    status: 201,
    errors: [
      { status: 401, code: 'auth.missing' },
      { status: 401, code: BAD_CREDENTIALS },
      { status: 423, code: 'shift.locked' },
    ],
    handler: async ({ body, caller: device, request }) => {
      const found = await context.db
        .selectFrom('couriers')
        .selectAll()
        .where('staff_id', '=', body.staffId)
        .executeTakeFirst()
      // A courier of another depot is nobody here. Unknown or not, the attempt is counted and checked the same
      // way (a decoy hash for nobody), so neither the answer nor its time says which staff IDs exist.
      const courier = found && found.depot_id === device.depot_id ? found : null
      const outcome = await attemptLogin(
        context,
        { scope: `courier:${device.depot_id}`, subject: body.staffId },
        async () => (await verifySecret(body.pin, courier?.pin_hash ?? (await decoyHash()))) && courier !== null,
        (trx, after) => startShift(trx, after, courier!, device),
      )
      if (outcome.kind === 'refused') {
        throw unauthorized(BAD_CREDENTIALS, 'wrong staff ID or PIN', { attemptsLeft: outcome.attemptsLeft })
      }
      if (outcome.kind === 'locked') {
        if (outcome.lockedNow) request.log.warn({ event: 'courier.locked', depotId: device.depot_id }, 'login locked')
        throw new ApiError(423, 'shift.locked', 'too many wrong PINs; try again later', {
          lockedUntil: new Date(outcome.lockedUntilMs).toISOString(),
        })
      }
      const { shiftId, shift: answer } = outcome.value
      const courierId = answer.courier.courierId
      request.log.info({ event: 'shift.started', shiftId, courierId, deviceId: device.id }, 'shift started')
      return answer
    },
  })

  /** Starts the courier's shift on the device, in the transaction that cleared their wrong attempts. */
  const startShift = async (trx: Trx, after: AfterCommit, courier: CourierTable, device: DeviceTable) => {
    const now = context.now()
    const depot = await trx
      .selectFrom('depots')
      .selectAll()
      .where('id', '=', courier.depot_id)
      .executeTakeFirstOrThrow()
    const routeDate = routeDateOf(now, depot.time_zone)
    const shiftId = newId('shf')
    const token = issueToken('shift')
    const expiresMs = now + context.config.shiftTtlMs
    // One live shift per courier: logging in again (another device, a reinstall) retires the old token. A shift on
    // another terminal is told it moved (a device swap): that device sends what it holds, and acts no more.
    const superseded = await trx
      .updateTable('shifts')
      .set({ ended_ms: now })
      .where('courier_id', '=', courier.id)
      .where('ended_ms', 'is', null)
      .returning(['id', 'device_id', 'depot_id'])
      .execute()
    for (const old of superseded) {
      if (old.device_id === device.id) continue
      await appendStreamMessage(context, trx, after, { depotId: old.depot_id, deviceId: old.device_id }, 'shift', {
        shiftId: old.id,
        change: 'moved',
        toDeviceId: device.id,
        at: new Date(now).toISOString(),
      })
    }
    const route = await trx
      .selectFrom('routes')
      .select('id')
      .where('courier_id', '=', courier.id)
      .where('route_date', '=', routeDate)
      .executeTakeFirst()
    await trx
      .insertInto('shifts')
      .values({
        id: shiftId,
        depot_id: depot.id,
        courier_id: courier.id,
        device_id: device.id,
        route_id: route?.id ?? null,
        route_date: routeDate,
        token_hash: hashToken(token),
        started_at: new Date(now).toISOString(),
        started_ms: now,
        expires_ms: expiresMs,
        ended_ms: null,
        closed_at: null,
      })
      .execute()
    const shift: LoginResponse = {
      shiftId,
      shiftToken: token,
      expiresAt: new Date(expiresMs).toISOString(),
      courier: { courierId: courier.id, staffId: courier.staff_id, name: courier.name },
      depotId: depot.id,
      deviceId: device.id,
      unverifiedLimits: {
        perOrderFen: depot.unverified_per_order_fen,
        perShiftFen: depot.unverified_per_shift_fen,
      },
      undoWindowMs: context.config.undoWindowMs,
    }
    return { shiftId, shift }
  }
}
