import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { API_PREFIX } from '../../shared/api/common'
import { EnrollRequest, EnrollResponse, HeartbeatRequest, HeartbeatResponse } from '../../shared/api/device'
import { DeviceId } from '../../shared/api/ids'
import { issueToken } from '../auth/tokens'
import type { BackendContext } from '../context'
import { announceDashboardChange } from '../dashboard/live'
import { inTransaction } from '../db/transaction'
import { unauthorized } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { newId } from '../ids'
import { recordEvidenceOrphans } from '../proof/orphans'
import { requireOwnDevice } from './auth'
import { hashEnrollmentCode, newDeviceRow } from './enrollment'

const DeviceParams = z.object({ deviceId: DeviceId })

/**
 * A heartbeat reporting nothing new (same backlog, app, last sync, battery, and a clock offset within
 * `HEARTBEAT_OFFSET_SAME_MS` of the stored one) is not written when the device's last contact is younger than
 * this: the repeats a burst of syncs sends. Last contact then reads at most this much older than the truth, far
 * inside `OUT_OF_CONTACT_MS`.
 */
export const HEARTBEAT_UNCHANGED_SKIP_MS = 60_000
/** Offsets measured from `sentAt` jitter by the request's time on the wire; within this they are the same. */
export const HEARTBEAT_OFFSET_SAME_MS = 1_000

/** Device enrollment (the code is the credential) and the device's heartbeat (device token). */
export function registerDeviceRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/devices/enroll`,
    summary: 'Exchanges a single-use enrollment code for a device ID and device token',
    tag: 'devices',
    auth: 'none',
    body: EnrollRequest,
    response: EnrollResponse,
    status: 201,
    errors: [
      { status: 401, code: 'enrollment.code_invalid' },
      { status: 401, code: 'enrollment.code_used' },
      { status: 401, code: 'enrollment.code_expired' },
    ],
    handler: async ({ body, request }) => {
      const codeHash = hashEnrollmentCode(body.code)
      const deviceId = newId('dev')
      const token = issueToken('device')
      const now = context.now()
      const depot = await inTransaction(context.database, context.log, async (trx) => {
        // Claiming the code and creating the device are one step: a code can never enroll two devices.
        const claimed = await trx
          .updateTable('enrollment_codes')
          .set({ used_at: new Date(now).toISOString(), device_id: deviceId })
          .where('code', '=', codeHash)
          .where('used_at', 'is', null)
          .where('expires_ms', '>', now)
          .returning('depot_id')
          .executeTakeFirst()
        if (!claimed) {
          const known = await trx
            .selectFrom('enrollment_codes')
            .select(['used_at', 'expires_ms'])
            .where('code', '=', codeHash)
            .executeTakeFirst()
          if (!known) throw unauthorized('enrollment.code_invalid', 'no such enrollment code')
          if (known.used_at !== null)
            throw unauthorized('enrollment.code_used', 'this enrollment code was already used')
          throw unauthorized('enrollment.code_expired', 'this enrollment code has expired')
        }
        await trx
          .insertInto('devices')
          .values(
            newDeviceRow({
              id: deviceId,
              depotId: claimed.depot_id,
              label: body.label ?? 'Terminal',
              token,
              enrolledAt: new Date(now).toISOString(),
              lastContactMs: now,
            }),
          )
          .execute()
        return trx
          .selectFrom('depots')
          .select(['id', 'name'])
          .where('id', '=', claimed.depot_id)
          .executeTakeFirstOrThrow()
      })
      request.log.info({ event: 'device.enrolled', deviceId, depotId: depot.id }, 'device enrolled')
      return { deviceId, deviceToken: token, depotId: depot.id, depotName: depot.name }
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/devices/:deviceId/heartbeat`,
    summary: "The device's backlog (pending events, oldest pending, app version, last sync), for the depot",
    tag: 'devices',
    auth: 'device',
    params: DeviceParams,
    body: HeartbeatRequest,
    response: HeartbeatResponse,
    errors: [
      { status: 401, code: 'auth.missing' },
      { status: 403, code: 'auth.forbidden' },
    ],
    handler: async ({ params, body, caller }) => {
      const device = requireOwnDevice(caller, params.deviceId)
      const now = context.now()
      const offset = now - Date.parse(body.sentAt)
      const batteryLevel = body.battery ? body.battery.level : null
      const batteryCharging = body.battery ? (body.battery.charging ? 1 : 0) : null
      await inTransaction(context.database, context.log, async (trx, after) => {
        const written = await trx
          .updateTable('devices')
          .set({
            pending_count: body.pendingCount,
            oldest_pending_at: body.oldestPendingAt,
            app_version: body.appVersion,
            last_sync_at: body.lastSyncAt,
            heartbeat_sent_at: body.sentAt,
            last_contact_ms: now,
            // `sentAt` is the device's own clock: its distance from ours is the device's skew, give or take
            // the request's time on the wire.
            clock_offset_ms: offset,
            clock_measured_ms: now,
            clock_source: 'heartbeat',
            // Only the device can know its battery; a device that cannot read it leaves it out.
            battery_level: batteryLevel,
            battery_charging: batteryCharging,
          })
          .where('id', '=', device.id)
          // A heartbeat that says what the row already says, shortly after the last contact, writes nothing
          // (no row version, no WAL on PostgreSQL): the depot's view would not change.
          .where((eb) =>
            eb.or([
              eb('last_contact_ms', 'is', null),
              eb('last_contact_ms', '<', now - HEARTBEAT_UNCHANGED_SKIP_MS),
              eb('pending_count', 'is distinct from', body.pendingCount),
              eb('oldest_pending_at', 'is distinct from', body.oldestPendingAt),
              eb('app_version', 'is distinct from', body.appVersion),
              eb('last_sync_at', 'is distinct from', body.lastSyncAt),
              eb('battery_level', 'is distinct from', batteryLevel),
              eb('battery_charging', 'is distinct from', batteryCharging),
              eb('clock_offset_ms', 'is', null),
              eb('clock_offset_ms', '<', offset - HEARTBEAT_OFFSET_SAME_MS),
              eb('clock_offset_ms', '>', offset + HEARTBEAT_OFFSET_SAME_MS),
            ]),
          )
          .executeTakeFirst()
        // Orphans go to the work queue in the same transaction, written or not above; the device stops sending
        // them once answered.
        await recordEvidenceOrphans(trx, device, body.evidenceOrphans ?? [], now)
        // The depot's dashboard shows every device's backlog as it changes, and its queue any orphan reported.
        const orphans = body.evidenceOrphans?.length ?? 0
        if (Number(written.numUpdatedRows) > 0 || orphans > 0) {
          await announceDashboardChange(context, trx, after, device.depot_id)
        }
      })
      return { serverTime: new Date(now).toISOString() }
    },
  })
}
