import type { FastifyRequest } from 'fastify'
import { bearerTokenHash } from '../auth/bearer'
import type { BackendContext } from '../context'
import type { DeviceTable } from '../db/schema'
import { forbidden, unauthorized } from '../http/errors'

/** The enrolled device the request's device token belongs to (401 otherwise). */
export async function authenticateDevice(
  context: Pick<BackendContext, 'db'>,
  request: FastifyRequest,
): Promise<DeviceTable> {
  const hash = bearerTokenHash(request, 'device')
  const device = await context.db.selectFrom('devices').selectAll().where('token_hash', '=', hash).executeTakeFirst()
  if (!device) throw unauthorized('auth.invalid', 'unknown device token')
  if (device.revoked_at !== null) throw unauthorized('auth.revoked', 'this device was unenrolled')
  return device
}

/** A device reaches only its own events, heartbeat and stream: the path's device must be the caller (403). */
export function requireOwnDevice(device: DeviceTable, deviceId: string): DeviceTable {
  if (device.id !== deviceId) throw forbidden('auth.forbidden', 'a device token reaches only its own device')
  return device
}
