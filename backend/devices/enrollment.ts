import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { hashToken } from '../auth/tokens'
import type { BackendSchema, DeviceTable } from '../db/schema'

/** Eight characters without look-alikes (no 0/O, no 1/I), as `EnrollmentCode` in shared/api/device.ts reads them. */
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/** The stored form of an enrollment code: like tokens, the code itself is shown once and never kept. */
export const hashEnrollmentCode = (code: string): string => hashToken(`enroll:${code}`)

/** A newly enrolled device's row: its token stored hashed, no backlog reported yet. */
export function newDeviceRow(device: {
  id: string
  depotId: string
  label: string
  token: string
  enrolledAt: string
  lastContactMs: number | null
}): DeviceTable {
  return {
    id: device.id,
    depot_id: device.depotId,
    label: device.label,
    token_hash: hashToken(device.token),
    enrolled_at: device.enrolledAt,
    revoked_at: null,
    acked_seq: 0,
    pending_count: null,
    oldest_pending_at: null,
    app_version: null,
    last_sync_at: null,
    heartbeat_sent_at: null,
    last_contact_ms: device.lastContactMs,
    clock_offset_ms: null,
    clock_measured_ms: null,
    clock_source: null,
    retired_by: null,
    battery_level: null,
    battery_charging: null,
  }
}

/**
 * A new single-use enrollment code for a depot, valid for `ttlMs`. A supervisor creates one per device; the
 * device exchanges it for its device token.
 */
export async function createEnrollmentCode(
  db: Kysely<BackendSchema>,
  options: { depotId: string; createdBy: string | null; ttlMs: number; nowMs: number },
): Promise<{ code: string; expiresAt: string }> {
  // 32 divides 256, so taking each byte modulo 32 picks every character equally often.
  const code = [...randomBytes(8)].map((byte) => CODE_ALPHABET[byte % 32]).join('')
  const expiresMs = options.nowMs + options.ttlMs
  await db
    .insertInto('enrollment_codes')
    .values({
      code: hashEnrollmentCode(code),
      depot_id: options.depotId,
      created_by: options.createdBy,
      created_at: new Date(options.nowMs).toISOString(),
      expires_ms: expiresMs,
      used_at: null,
      device_id: null,
    })
    .execute()
  return { code, expiresAt: new Date(expiresMs).toISOString() }
}
