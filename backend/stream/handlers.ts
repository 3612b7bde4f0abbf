import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { API_PREFIX } from '../../shared/api/common'
import { DeviceId } from '../../shared/api/ids'
import type { BackendContext } from '../context'
import { POSTGRES_POOL_SIZE } from '../db/connect'
import { lanes } from '../db/lanes'
import { requireOwnDevice } from '../devices/auth'
import { badRequest } from '../http/errors'
import { startEventStream, type EventStream } from '../http/event-stream'
import { defineStream, type RouteTable } from '../http/routes'
import { traceStream } from './trace'

const StreamParams = z.object({ deviceId: DeviceId })
const StreamQuery = z.object({ lastEventId: z.string().max(32).optional() }).strict()
const CURSOR = /^\d{1,15}$/

/** How many stored messages one read sends; a resuming device catches up in pages. */
const PAGE = 200

/**
 * Streams being opened at once on one instance (each a few queries, one at a time, so at most this many of the
 * pool's connections). After a depot-wide blip, thousands arrive within a second; the rest wait their turn, and
 * one whose device gave up waiting (the core's answer timeout) is dropped at its turn instead of spending
 * queries on a socket that is gone.
 */
export const STREAM_OPEN_LANES = POSTGRES_POOL_SIZE - 4

/**
 * `GET /api/v1/devices/:deviceId/stream`: the device's server-sent events. Every message has an `id:` that
 * increases per device; a device resuming with `Last-Event-ID` (header, or `?lastEventId=`) is sent everything
 * after it from the stored stream, then live messages. Without one, the stream starts at the present.
 * `: keep-alive` comments keep proxies and the device's network from closing an idle stream.
 */
export function registerStreamRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  const opens = lanes(STREAM_OPEN_LANES)
  const reads = context.database.urgent ?? context.db
  defineStream(app, routes, {
    url: `${API_PREFIX}/devices/:deviceId/stream`,
    summary: 'Device stream (server-sent events): payment, manifest, settlement and flag messages',
    tag: 'stream',
    auth: 'device',
    params: StreamParams,
    query: StreamQuery,
    errors: [
      { status: 401, code: 'auth.missing' },
      { status: 403, code: 'auth.forbidden' },
    ],
    handler: ({ params, query, caller, request, reply }) =>
      opens.run(async () => {
        if (request.raw.socket.destroyed) {
          reply.hijack()
          return
        }
        const device = requireOwnDevice(caller, params.deviceId)
        const header = request.headers['last-event-id']
        const given = typeof header === 'string' ? header : query.lastEventId
        if (given !== undefined && !CURSOR.test(given.trim())) {
          throw badRequest('stream.bad_cursor', 'Last-Event-ID must be a message id (a whole number)')
        }
        let cursor: number
        if (given !== undefined) {
          cursor = Number(given.trim())
        } else {
          const row = await context.db
            .selectFrom('stream_cursors')
            .select('last_seq')
            .where('device_id', '=', device.id)
            .executeTakeFirst()
          cursor = row?.last_seq ?? 0
        }

        let stream: EventStream | null = null
        let reading = false
        let again = false
        const pump = async (): Promise<void> => {
          if (!stream?.open) return
          if (reading) {
            again = true
            return
          }
          reading = true
          try {
            do {
              again = false
              for (;;) {
                // The urgent pool (PostgreSQL): a wake-up's read never queues behind ingest.
                const rows = await reads
                  .selectFrom('stream_messages')
                  .select(['seq', 'name', 'data'])
                  .where('device_id', '=', device.id)
                  .where('seq', '>', cursor)
                  .orderBy('seq')
                  .limit(PAGE)
                  .execute()
                if (!stream.open) return
                for (const row of rows) {
                  stream.send(row.seq, row.name, row.data)
                  traceStream('written', device.id, row.seq)
                  cursor = row.seq
                  // The device was retired: this was its last message, and its token no longer opens a stream.
                  if (row.name === 'device') {
                    stream.close()
                    return
                  }
                }
                if (rows.length < PAGE) break
              }
            } while (again && stream.open)
          } finally {
            reading = false
          }
        }
        const wake = (): void => {
          pump().catch((error: unknown) => request.log.error({ err: error }, 'stream read failed'))
        }

        // Subscribed before the answer starts, so a failure is still a plain JSON error and nothing committed in
        // between is missed: the first read below catches up from the cursor.
        const unsubscribe = await context.hub.subscribe(device.depot_id, device.id, wake)
        stream = startEventStream(reply, {
          comment: `stream for ${device.id} from ${cursor}`,
          keepAliveMs: context.config.keepAliveMs,
          onClose: unsubscribe,
        })
        if (!stream.open) return
        request.log.info({ event: 'stream.open', deviceId: device.id, cursor }, 'device stream opened')
        wake()
      }),
  })
}
