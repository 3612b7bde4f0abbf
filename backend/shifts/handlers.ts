import type { FastifyInstance } from 'fastify'
import { API_PREFIX } from '../../shared/api/common'
import { LoginRequest, LoginResponse } from '../../shared/api/shift'
import { decoyHash, verifySecret } from '../auth/secrets'
import { hashToken, issueToken } from '../auth/tokens'
import type { BackendContext } from '../context'
import { inTransaction } from '../db/transaction'
import { ApiError, unauthorized } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { newId } from '../ids'
import { routeDateOf } from '../manifests/route-date'

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
      const courier = await context.db
        .selectFrom('couriers')
        .selectAll()
        .where('staff_id', '=', body.staffId)
        .executeTakeFirst()
      const now = context.now()
      if (!courier || courier.depot_id !== device.depot_id) {
        // Same work and same answer as a wrong PIN, so the answer does not say which staff IDs exist.
        await verifySecret(body.pin, await decoyHash())
        throw unauthorized(BAD_CREDENTIALS, 'wrong staff ID or PIN')
      }
      if (courier.locked_until_ms !== null && courier.locked_until_ms > now) {
        throw new ApiError(423, 'shift.locked', 'too many wrong PINs; try again later', {
          lockedUntil: new Date(courier.locked_until_ms).toISOString(),
        })
      }
      if (!(await verifySecret(body.pin, courier.pin_hash))) {
        const { maxAttempts, lockMs } = context.config.lockout
        const { failed_pins } = await context.db
          .updateTable('couriers')
          .set((eb) => ({ failed_pins: eb('failed_pins', '+', 1) }))
          .where('id', '=', courier.id)
          .returning('failed_pins')
          .executeTakeFirstOrThrow()
        if (failed_pins >= maxAttempts) {
          await context.db
            .updateTable('couriers')
            .set({ failed_pins: 0, locked_until_ms: now + lockMs })
            .where('id', '=', courier.id)
            .execute()
          request.log.warn({ event: 'courier.locked', courierId: courier.id }, 'courier locked after wrong PINs')
          throw new ApiError(423, 'shift.locked', 'too many wrong PINs; try again later', {
            lockedUntil: new Date(now + lockMs).toISOString(),
          })
        }
        throw unauthorized(BAD_CREDENTIALS, 'wrong staff ID or PIN', { attemptsLeft: maxAttempts - failed_pins })
      }

      const depot = await context.db
        .selectFrom('depots')
        .selectAll()
        .where('id', '=', courier.depot_id)
        .executeTakeFirstOrThrow()
      const routeDate = routeDateOf(now, depot.time_zone)
      const shiftId = newId('shf')
      const token = issueToken('shift')
      const expiresMs = now + context.config.shiftTtlMs
      await inTransaction(context.database, context.log, async (trx) => {
        await trx
          .updateTable('couriers')
          .set({ failed_pins: 0, locked_until_ms: null })
          .where('id', '=', courier.id)
          .execute()
        // One live shift per courier: logging in again (another device, a reinstall) retires the old token.
        await trx
          .updateTable('shifts')
          .set({ ended_ms: now })
          .where('courier_id', '=', courier.id)
          .where('ended_ms', 'is', null)
          .execute()
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
      })
      request.log.info({ event: 'shift.started', shiftId, courierId: courier.id, deviceId: device.id }, 'shift started')
      return {
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
      }
    },
  })
}
