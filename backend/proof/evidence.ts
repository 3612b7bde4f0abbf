import type { FastifyInstance } from 'fastify'
import type { Readable } from 'node:stream'
import { z } from 'zod'
import { API_PREFIX } from '../../shared/api/common'
import {
  DEPOT_EVIDENCE_PATH,
  EvidenceUploadQuery,
  EvidenceUploadStatus,
  MAX_EVIDENCE_BYTES,
  type EvidenceMime,
} from '../../shared/api/evidence'
import { DeviceId } from '../../shared/api/ids'
import type { BackendContext } from '../context'
import type { EvidenceTable } from '../db/schema'
import { requireOwnDevice } from '../devices/auth'
import { ApiError, conflict, notFound, unprocessable } from '../http/errors'
import { defineFileRoute, defineRoute, type RouteTable } from '../http/routes'
import { EvidenceTooLarge, type EvidenceStore } from './evidence-store'

const EvidenceParams = z.object({ deviceId: DeviceId, evidenceId: z.uuid() }).strict()
const DepotEvidenceParams = z.object({ evidenceId: z.uuid() }).strict()

const MAGIC: Record<EvidenceMime, number[]> = {
  'image/jpeg': [0xff, 0xd8, 0xff],
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
}
const magicMatches = (head: Buffer, mime: EvidenceMime): boolean => MAGIC[mime].every((byte, i) => head[i] === byte)

/** One upload at a time per evidence file on this instance: a retry racing a slow first try waits its turn. */
function keyedLock(): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>()
  return async (key, work) => {
    const before = tails.get(key) ?? Promise.resolve()
    const run = before.then(work, work)
    const tail = run.catch(() => undefined)
    tails.set(key, tail)
    try {
      return await run
    } finally {
      if (tails.get(key) === tail) tails.delete(key)
    }
  }
}

async function evidenceOfDevice(context: BackendContext, deviceId: string, evidenceId: string): Promise<EvidenceTable> {
  const row = await context.db.selectFrom('evidence').selectAll().where('id', '=', evidenceId).executeTakeFirst()
  // Another device's evidence answers exactly like none: a device learns nothing about other devices' files.
  if (!row || row.device_id !== deviceId) {
    throw notFound('evidence.unknown', 'no evidence event with this ID was applied for this device')
  }
  return row
}

const statusOf = (row: EvidenceTable, received: number): EvidenceUploadStatus => ({
  evidenceId: row.id,
  received: row.stored_ms !== null ? Number(row.bytes) : received,
  bytes: Number(row.bytes),
  complete: row.stored_ms !== null,
})

/**
 * Evidence uploads (device token, its own events only) and the stored images for the depot's supervisors.
 * `GET|PUT /devices/:deviceId/evidence/:evidenceId`: the upload follows its applied `proof.evidence_captured`
 * event; bytes arrive from `offset` (which must be what is held), and once all are there the size, SHA-256 and
 * image magic are checked against the event before the file is stored. A mismatch drops the partial upload and
 * changes nothing else; a completed file cannot be uploaded again.
 */
export function registerEvidenceRoutes(
  app: FastifyInstance,
  routes: RouteTable,
  context: BackendContext,
  store: EvidenceStore,
): void {
  const locked = keyedLock()
  const DEVICE_ERRORS = [
    { status: 401, code: 'auth.missing' },
    { status: 403, code: 'auth.forbidden' },
    { status: 404, code: 'evidence.unknown' },
  ] as const

  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}/devices/:deviceId/evidence/:evidenceId`,
    summary: 'How much of an evidence file the backend holds, and whether it is complete and verified',
    tag: 'events',
    auth: 'device',
    params: EvidenceParams,
    response: EvidenceUploadStatus,
    errors: DEVICE_ERRORS,
    handler: async ({ params, caller }) => {
      const device = requireOwnDevice(caller, params.deviceId)
      const row = await evidenceOfDevice(context, device.id, params.evidenceId)
      return statusOf(row, row.stored_ms !== null ? Number(row.bytes) : await store.partialSize(row.id))
    },
  })

  void app.register((child, _options, registered) => {
    // Only here are raw bytes taken: every other route stays JSON only.
    child.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload))
    defineRoute(child, routes, {
      method: 'PUT',
      url: `${API_PREFIX}/devices/:deviceId/evidence/:evidenceId`,
      summary: 'Uploads an evidence file from `offset` on (resumable); verified against its event when complete',
      tag: 'events',
      auth: 'device',
      params: EvidenceParams,
      query: EvidenceUploadQuery,
      rawBody: 'application/octet-stream',
      response: EvidenceUploadStatus,
      bodyLimit: MAX_EVIDENCE_BYTES + 1024,
      errors: [
        ...DEVICE_ERRORS,
        { status: 409, code: 'evidence.offset_mismatch' },
        { status: 409, code: 'evidence.already_complete' },
        { status: 413, code: 'evidence.too_large' },
        { status: 415, code: 'request.unsupported_media_type' },
        { status: 422, code: 'evidence.hash_mismatch' },
        { status: 422, code: 'evidence.not_image' },
      ],
      handler: async ({ params, query, body, caller }) => {
        const device = requireOwnDevice(caller, params.deviceId)
        const row = await evidenceOfDevice(context, device.id, params.evidenceId)
        return locked(row.id, async () => {
          const fresh = await evidenceOfDevice(context, device.id, row.id)
          if (fresh.stored_ms !== null || fresh.deleted_ms !== null) {
            throw conflict('evidence.already_complete', 'this evidence file is already stored', {
              received: Number(fresh.bytes),
            })
          }
          const held = await store.partialSize(row.id)
          if (query.offset !== held) {
            throw conflict('evidence.offset_mismatch', `the backend holds ${held} bytes: continue from there`, {
              received: held,
            })
          }
          const declared = Number(row.bytes)
          let received: number
          try {
            received = await store.appendPartial(row.id, query.offset, body as Readable, declared)
          } catch (error) {
            if (error instanceof EvidenceTooLarge) {
              throw new ApiError(413, 'evidence.too_large', `the file has ${declared} bytes, and more were sent`, {
                bytes: declared,
              })
            }
            throw error
          }
          if (received < declared) return statusOf(row, received)
          const digest = await store.digestPartial(row.id)
          if (digest.sha256 !== row.sha256 || digest.bytes !== declared) {
            await store.discardPartial(row.id)
            throw unprocessable('evidence.hash_mismatch', 'the file does not match the SHA-256 its event bound', {
              received: 0,
            })
          }
          if (!magicMatches(digest.head, row.mime)) {
            await store.discardPartial(row.id)
            throw unprocessable('evidence.not_image', `the file is not the ${row.mime} its event named`, {
              mime: row.mime,
            })
          }
          await store.commit(row.id)
          const now = context.now()
          await context.db
            .updateTable('evidence')
            .set({ stored_ms: now })
            .where('id', '=', row.id)
            .where('stored_ms', 'is', null)
            .execute()
          return statusOf({ ...row, stored_ms: now }, declared)
        })
      },
    })
    registered()
  })

  defineFileRoute(app, routes, {
    url: `${API_PREFIX}${DEPOT_EVIDENCE_PATH}/:evidenceId`,
    summary: "A stored evidence image (photo or signature) of the supervisor's depot",
    tag: 'dashboard',
    auth: 'supervisor',
    params: DepotEvidenceParams,
    contentType: 'image/*',
    errors: [
      { status: 401, code: 'auth.missing' },
      { status: 403, code: 'auth.supervisors_only' },
      { status: 404, code: 'evidence.unknown' },
      { status: 410, code: 'evidence.deleted' },
    ],
    handler: async ({ params, caller, reply }) => {
      const row = await context.db
        .selectFrom('evidence')
        .select(['id', 'depot_id', 'mime', 'stored_ms', 'deleted_ms'])
        .where('id', '=', params.evidenceId)
        .executeTakeFirst()
      // Another depot's file answers like none at all.
      if (!row || row.depot_id !== caller.depotId || row.stored_ms === null) {
        throw notFound('evidence.unknown', 'no stored evidence with this ID in your depot')
      }
      if (row.deleted_ms !== null) throw new ApiError(410, 'evidence.deleted', 'deleted after its retention period')
      const bytes = await store.read(row.id)
      if (!bytes) throw new ApiError(410, 'evidence.deleted', 'the file is no longer stored')
      await reply
        .header('content-type', row.mime === 'image/png' ? 'image/png' : 'image/jpeg')
        .header('cache-control', 'private, no-store')
        .header('x-content-type-options', 'nosniff')
        .send(bytes)
    },
  })
}
