import type { FastifyRequest } from 'fastify'
import { retiredDevice } from '../devices/auth'
import { bearerTokenHash } from '../auth/bearer'
import type { BackendContext } from '../context'
import type { ShiftTable } from '../db/schema'
import { forbidden, unauthorized } from '../http/errors'

/**
 * The shift the request's shift token opens. Expired or superseded (the courier logged in again) is 401
 * `auth.expired`.
 */
export async function authenticateShift(
  context: Pick<BackendContext, 'db' | 'now'>,
  request: FastifyRequest,
): Promise<ShiftTable> {
  const hash = bearerTokenHash(request, 'shift')
  const shift = await context.db.selectFrom('shifts').selectAll().where('token_hash', '=', hash).executeTakeFirst()
  if (!shift) throw unauthorized('auth.invalid', 'unknown shift token')
  // A shift on a device the depot retired ends with it: the courier carries on on another terminal.
  const device = await context.db
    .selectFrom('devices')
    .select(['revoked_at', 'retired_by'])
    .where('id', '=', shift.device_id)
    .executeTakeFirst()
  if (device && device.revoked_at !== null) throw await retiredDevice(context, device)
  if (shift.ended_ms !== null) {
    // Superseded by a login on another terminal (a device swap) is said as such, so the old device stops acting.
    const successor = await context.db
      .selectFrom('shifts')
      .select(['device_id'])
      .where('courier_id', '=', shift.courier_id)
      .where('started_ms', '>=', shift.started_ms)
      .where('id', '!=', shift.id)
      .orderBy('started_ms', 'desc')
      .limit(1)
      .executeTakeFirst()
    if (successor && successor.device_id !== shift.device_id) {
      throw unauthorized('shift.moved', 'the courier logged in on another terminal; this shift continues there', {
        deviceId: successor.device_id,
      })
    }
    throw unauthorized('auth.expired', 'this shift was superseded by a newer login')
  }
  if (shift.expires_ms <= context.now()) throw unauthorized('auth.expired', 'this shift token has expired')
  return shift
}

/** A shift token reaches only its own shift's manifest: the path's shift must be the caller's (403). */
export function requireOwnShift(shift: ShiftTable, shiftId: string): ShiftTable {
  if (shift.id !== shiftId) throw forbidden('auth.forbidden', "a shift token reaches only its own shift's manifest")
  return shift
}
