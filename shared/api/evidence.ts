import { z } from 'zod'
import { OrderId, Timestamp } from './ids'

/**
 * Evidence files (issue 14): a photo of the handover or a drawn signature, captured on the device, bound by
 * SHA-256 to its outbox event (`proof.evidence_captured`) and uploaded after it, resumably and exactly once.
 */
export const EvidenceKind = z.enum(['photo', 'signature'])
export type EvidenceKind = z.infer<typeof EvidenceKind>

/** A photo is a JPEG, a signature a PNG: nothing else is taken, on the device or by the backend. */
export const EvidenceMime = z.enum(['image/jpeg', 'image/png'])
export type EvidenceMime = z.infer<typeof EvidenceMime>

export const MIME_OF_KIND: Record<EvidenceKind, EvidenceMime> = { photo: 'image/jpeg', signature: 'image/png' }

/** The device compresses a photo to at most this many bytes (and a signature's PNG stays under it too). */
export const MAX_EVIDENCE_BYTES = 200 * 1024
/** A photo's long side after compression, in pixels. */
export const PHOTO_LONG_SIDE_PX = 1280

/** Lower-case hex SHA-256. */
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256')

/** One stroke of a signature: points `[x, y, ms since the stroke began]` in the pad's pixels (≤ 4096). */
export const SignatureStroke = z
  .array(z.tuple([z.number().int().min(0).max(4096), z.number().int().min(0).max(4096), z.number().int().min(0)]))
  .min(1)
  .max(2000)
export const SignatureStrokes = z.array(SignatureStroke).min(1).max(64)
export type SignatureStrokes = z.infer<typeof SignatureStrokes>

/** The evidence event's payload: the file's hash and size bound to the order, its attempt and the capture time. */
export const EvidenceCaptured = z
  .object({
    orderId: OrderId,
    attempt: z.number().int().min(1),
    kind: EvidenceKind,
    evidenceId: z.uuid(),
    sha256: Sha256Hex,
    bytes: z.number().int().min(1).max(MAX_EVIDENCE_BYTES),
    mime: EvidenceMime,
    /** When the courier took the photo or finished the signature, by the device's clock. */
    capturedAt: Timestamp,
    /** The signature's vector strokes; absent for a photo. */
    strokes: SignatureStrokes.optional(),
  })
  .strict()
  .refine((e) => MIME_OF_KIND[e.kind] === e.mime, { message: 'a photo is image/jpeg, a signature image/png' })
  .refine((e) => (e.kind === 'signature') === (e.strokes !== undefined), {
    message: 'a signature carries its strokes, a photo none',
  })
export type EvidenceCaptured = z.infer<typeof EvidenceCaptured>

/** Where a device uploads one evidence file, under `/api/v1`. */
export const evidencePath = (deviceId: string, evidenceId: string): string =>
  `/devices/${encodeURIComponent(deviceId)}/evidence/${encodeURIComponent(evidenceId)}`

/** `PUT …/evidence/:evidenceId?offset=N`: the bytes from `offset` on, as `application/octet-stream`. */
export const EvidenceUploadQuery = z.object({ offset: z.coerce.number().int().min(0).max(MAX_EVIDENCE_BYTES) }).strict()

/** What the backend holds of one evidence file: a retry continues from `received`; `complete` once verified. */
export const EvidenceUploadStatus = z.object({
  evidenceId: z.uuid(),
  received: z.number().int().min(0),
  bytes: z.number().int().min(1),
  complete: z.boolean(),
})
export type EvidenceUploadStatus = z.infer<typeof EvidenceUploadStatus>

/** One evidence file of a delivery, as a supervisor of its depot sees it. */
export const EvidenceRecord = z.object({
  evidenceId: z.uuid(),
  kind: EvidenceKind,
  mime: EvidenceMime,
  bytes: z.number().int().min(0),
  capturedAt: Timestamp.nullable(),
  /** `pending`: the event arrived, the file not yet; `stored`: verified and kept; `deleted`: past retention. */
  status: z.enum(['pending', 'stored', 'deleted']),
})
export type EvidenceRecord = z.infer<typeof EvidenceRecord>

/** The image bytes of one stored evidence file, for a supervisor of its depot: `GET /api/v1/depot/evidence/:id`. */
export const DEPOT_EVIDENCE_PATH = '/depot/evidence'

/** What a device found wrong in its evidence folder at start (`core/proof/evidence.ts`, `recoverEvidence`). */
export const EvidenceOrphanProblem = z.enum(['file_without_event', 'event_without_file'])
export type EvidenceOrphanProblem = z.infer<typeof EvidenceOrphanProblem>

/**
 * One orphan as the device reports it on its heartbeat, until the backend has taken it: a file no event names
 * (a capture cut short between the file and its event; the device removed it), or an evidence event whose file
 * is gone from the device. `name` is the file's name, `<evidenceId>.jpg|png`, which says the kind and the ID.
 */
export const EvidenceOrphanReport = z
  .object({
    name: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(jpg|png)$/),
    problem: EvidenceOrphanProblem,
    bytes: z.number().int().min(0).max(MAX_EVIDENCE_BYTES),
    foundAt: Timestamp,
  })
  .strict()
export type EvidenceOrphanReport = z.infer<typeof EvidenceOrphanReport>

/** The most orphans one heartbeat carries; the rest go on the next. */
export const MAX_ORPHANS_PER_HEARTBEAT = 50
