import type { FastifyRequest } from 'fastify'
import { bearerTokenHash } from '../auth/bearer'
import { hashToken, tokenKind } from '../auth/tokens'
import type { BackendContext } from '../context'
import { ApiError, forbidden, unauthorized } from '../http/errors'

export interface SupervisorSession {
  supervisorId: string
  depotId: string
}

/**
 * Whether the request carries a live token of a courier's shift or of a device: such a caller is known, and is
 * refused 403 at the depot's door rather than asked to authenticate again.
 */
async function holdsOtherLiveToken(context: Pick<BackendContext, 'db' | 'now'>, request: FastifyRequest) {
  const token = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization?.trim() ?? '')?.[1]
  const kind = token ? tokenKind(token) : null
  if (!token || kind === null || kind === 'supervisor') return false
  const hash = hashToken(token)
  if (kind === 'device') {
    const device = await context.db
      .selectFrom('devices')
      .select('revoked_at')
      .where('token_hash', '=', hash)
      .executeTakeFirst()
    return !!device && device.revoked_at === null
  }
  const shift = await context.db
    .selectFrom('shifts')
    .select(['expires_ms', 'ended_ms'])
    .where('token_hash', '=', hash)
    .executeTakeFirst()
  return !!shift && shift.ended_ms === null && shift.expires_ms > context.now()
}

/**
 * The supervisor and depot the request's supervisor token opens. Expired is 401 `auth.expired`; a courier's or
 * a device's live token is 403 `auth.supervisors_only`; anything else that is not a supervisor token is 401.
 */
export async function authenticateSupervisor(
  context: Pick<BackendContext, 'db' | 'now'>,
  request: FastifyRequest,
): Promise<SupervisorSession> {
  let hash: string
  try {
    hash = bearerTokenHash(request, 'supervisor')
  } catch (error) {
    if (
      error instanceof ApiError &&
      error.code === 'auth.wrong_kind' &&
      (await holdsOtherLiveToken(context, request))
    ) {
      throw forbidden('auth.supervisors_only', "the depot's endpoints are for supervisors only")
    }
    throw error
  }
  const session = await context.db
    .selectFrom('supervisor_sessions')
    .select(['supervisor_id', 'depot_id', 'expires_ms'])
    .where('token_hash', '=', hash)
    .executeTakeFirst()
  if (!session) throw unauthorized('auth.invalid', 'unknown supervisor token')
  if (session.expires_ms <= context.now()) throw unauthorized('auth.expired', 'this supervisor session has expired')
  return { supervisorId: session.supervisor_id, depotId: session.depot_id }
}
