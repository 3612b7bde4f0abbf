import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { API_PREFIX } from '../../shared/api/common'
import { RetireDeviceResponse } from '../../shared/api/depot-devices'
import { DeviceId } from '../../shared/api/ids'
import type { BackendContext } from '../context'
import { announceDashboardChange } from '../dashboard/live'
import { orNull, storedCount } from '../dashboard/stored'
import { inTransaction } from '../db/transaction'
import { conflict, notFound } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { appendStreamMessage } from '../stream/messages'

const DeviceParams = z.object({ deviceId: DeviceId })

/**
 * Retiring a device. Its token is refused from the commit on (401 `device.retired`, saying when and by whom, on
 * every device and shift call), its open stream hears a last `device` message and is closed, and a push racing
 * the retire is refused whole once the retire has committed (`events/ingest.ts` checks with the row locked). The
 * device row, its events and its shifts stay; events it still holds stay on it, refused with the reason, and the
 * courier carries on by logging in on another terminal, whose manifest is the backend's truth.
 */
export function registerDepotDeviceRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/depot/devices/:deviceId/retire`,
    summary: 'Retires a device of this depot: its token is revoked at once and its stream closed',
    tag: 'depot',
    auth: 'supervisor',
    params: DeviceParams,
    response: RetireDeviceResponse,
    errors: [
      { status: 401, code: 'auth.missing' },
      { status: 401, code: 'auth.expired' },
      { status: 404, code: 'device.not_found' },
      { status: 409, code: 'device.already_retired' },
    ],
    handler: async ({ params, caller: session, request }) => {
      const now = context.now()
      const at = new Date(now).toISOString()
      const answer = await inTransaction(context.database, context.log, async (trx, after) => {
        // The change count is the proof: of two supervisors retiring at once, one retires and one is told.
        const retired = await trx
          .updateTable('devices')
          .set({ revoked_at: at, retired_by: session.supervisorId })
          .where('id', '=', params.deviceId)
          .where('depot_id', '=', session.depotId)
          .where('revoked_at', 'is', null)
          .returning(['id', 'pending_count'])
          .executeTakeFirst()
        if (!retired) {
          const known = await trx
            .selectFrom('devices')
            .select(['revoked_at'])
            .where('id', '=', params.deviceId)
            .where('depot_id', '=', session.depotId)
            .executeTakeFirst()
          if (!known) throw notFound('device.not_found', 'no such device in this depot')
          throw conflict('device.already_retired', 'this device was retired already')
        }
        const supervisor = await trx
          .selectFrom('supervisors')
          .select(['id', 'name'])
          .where('id', '=', session.supervisorId)
          .executeTakeFirstOrThrow()
        await appendStreamMessage(context, trx, after, { depotId: session.depotId, deviceId: retired.id }, 'device', {
          change: 'retired',
          at,
          by: supervisor.name,
        })
        await announceDashboardChange(context, trx, after, session.depotId)
        return {
          deviceId: retired.id,
          retiredAt: at,
          retiredBy: { supervisorId: supervisor.id, name: supervisor.name },
          pendingCount: orNull(storedCount)(retired.pending_count),
        }
      })
      request.log.info(
        { event: 'device.retired', deviceId: answer.deviceId, supervisorId: session.supervisorId },
        'device retired',
      )
      return answer
    },
  })
}
