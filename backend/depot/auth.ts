import type { FastifyRequest } from 'fastify'
import { bearerTokenHash } from '../auth/bearer'
import type { BackendContext } from '../context'
import { unauthorized } from '../http/errors'

export interface SupervisorSession {
  supervisorId: string
  depotId: string
}

/** The supervisor and depot the request's supervisor token opens; expired is 401 `auth.expired`. */
export async function authenticateSupervisor(
  context: Pick<BackendContext, 'db' | 'now'>,
  request: FastifyRequest,
): Promise<SupervisorSession> {
  const hash = bearerTokenHash(request, 'supervisor')
  const session = await context.db
    .selectFrom('supervisor_sessions')
    .select(['supervisor_id', 'depot_id', 'expires_ms'])
    .where('token_hash', '=', hash)
    .executeTakeFirst()
  if (!session) throw unauthorized('auth.invalid', 'unknown supervisor token')
  if (session.expires_ms <= context.now()) throw unauthorized('auth.expired', 'this supervisor session has expired')
  return { supervisorId: session.supervisor_id, depotId: session.depot_id }
}
