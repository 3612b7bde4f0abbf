import type { FastifyRequest } from 'fastify'
import { bearerTokenHash } from '../auth/bearer'
import type { BackendContext } from '../context'
import type { DeviceTable } from '../db/schema'
import { type ApiError, forbidden, unauthorized } from '../http/errors'

/**
 * The answer a retired device gets to every call: 401 `device.retired` with when and by whom, so the terminal can
 * tell the courier why it stopped and whom to ask.
 */
export async function retiredDevice(
  context: Pick<BackendContext, 'db'>,
  device: Pick<DeviceTable, 'revoked_at' | 'retired_by'>,
): Promise<ApiError> {
  const supervisor =
    device.retired_by === null
      ? undefined
      : await context.db.selectFrom('supervisors').select('name').where('id', '=', device.retired_by).executeTakeFirst()
  return unauthorized('device.retired', 'this device was retired by the depot; ask your supervisor', {
    retiredAt: device.revoked_at,
    retiredBy: supervisor?.name ?? null,
  })
}

/** The enrolled device the request's device token belongs to (401 otherwise; a retired one `device.retired`). */
export async function authenticateDevice(
  context: Pick<BackendContext, 'db'>,
  request: FastifyRequest,
): Promise<DeviceTable> {
  const hash = bearerTokenHash(request, 'device')
  const device = await context.db.selectFrom('devices').selectAll().where('token_hash', '=', hash).executeTakeFirst()
  if (!device) throw unauthorized('auth.invalid', 'unknown device token')
  if (device.revoked_at !== null) throw await retiredDevice(context, device)
  return device
}

/** A device reaches only its own events, heartbeat and stream: the path's device must be the caller (403). */
export function requireOwnDevice(device: DeviceTable, deviceId: string): DeviceTable {
  if (device.id !== deviceId) throw forbidden('auth.forbidden', 'a device token reaches only its own device')
  return device
}
