import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { API_PREFIX } from '../../shared/api/common'
import { PushEventsRequest, PushEventsResponse, SEQUENCE_GAP } from '../../shared/api/events'
import { DeviceId } from '../../shared/api/ids'
import type { BackendContext } from '../context'
import { lanes } from '../db/lanes'
import { requireOwnDevice } from '../devices/auth'
import { defineRoute, type RouteTable } from '../http/routes'
import { ingestEvents } from './ingest'

const DeviceParams = z.object({ deviceId: DeviceId })

/** A full batch of 500 events with receipts stays well inside this. */
const EVENTS_BODY_LIMIT = 2 * 1024 * 1024

/**
 * Batches ingested at once on one instance. Each holds a connection for its whole transaction, and a flood of
 * pushes (a depot's devices after a dead zone) kept six of the ten busy: a webhook's two transactions then queued
 * for the other four behind every push's token check, 9.5 s (p50) at 20 webhooks a second (bench/fleet). Three
 * batches at once already keep the database's cores busy; the other seven connections serve webhooks, stream
 * reads and logins.
 */
export const INGEST_LANES = 3

/** `POST /api/v1/devices/:deviceId/events` (that device's token). */
export function registerEventRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  const ingest = lanes(INGEST_LANES)
  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/devices/:deviceId/events`,
    summary: "Pushes a batch of the device's outbox events; each is applied at most once",
    tag: 'events',
    auth: 'device',
    params: DeviceParams,
    body: PushEventsRequest,
    response: PushEventsResponse,
    bodyLimit: EVENTS_BODY_LIMIT,
    errors: [
      { status: 400, code: 'events.bad_batch' },
      { status: 401, code: 'auth.missing' },
      { status: 403, code: 'auth.forbidden' },
      { status: 409, code: SEQUENCE_GAP },
      { status: 413, code: 'request.too_large' },
    ],
    handler: async ({ params, body, caller, request }) => {
      const device = requireOwnDevice(caller, params.deviceId)
      const response = await ingest.run(() => ingestEvents(context, device.id, body.events, { gap: body.gap }))
      request.log.info(
        {
          event: 'events.ingested',
          deviceId: device.id,
          count: body.events.length,
          ackedThrough: response.ackedThrough,
        },
        'device events ingested',
      )
      return response
    },
  })
}
