import { z } from 'zod'
import { DeviceId, SupervisorId, Timestamp } from './ids'

/**
 * The depot's side of its devices: enrollment codes as a QR the terminal's camera reads, the battery a device
 * reports, and retiring a device (`POST /api/v1/depot/devices/:deviceId/retire`).
 */

/** What an enrollment QR holds: a fixed prefix with its format's version, then the 8-character code. */
export const ENROLLMENT_QR_PREFIX = 'TUOTOU:ENROLL:1:'
const ENROLLMENT_QR = /^TUOTOU:ENROLL:1:([A-HJ-NP-Z2-9]{8})$/

/** The QR content for an enrollment code (upper case and digits only, so it fits QR's compact alphanumeric mode). */
export function enrollmentQrContent(code: string): string {
  return `${ENROLLMENT_QR_PREFIX}${code}`
}

/** Why a scanned QR is not an enrollment code: not ours at all, a version this terminal cannot read, or damaged. */
export type EnrollmentQrProblem = 'not_enrollment' | 'unknown_version' | 'bad_code'

/**
 * Reads a scanned enrollment QR strictly: exactly the prefix and an 8-character code, nothing around it (no spaces,
 * no lower case, no second line). Anything else is refused, saying which of the three it is.
 */
export function parseEnrollmentQr(
  text: string,
): { ok: true; code: string } | { ok: false; problem: EnrollmentQrProblem } {
  const found = ENROLLMENT_QR.exec(text)
  if (found) return { ok: true, code: found[1]! }
  if (!text.startsWith('TUOTOU:ENROLL:')) return { ok: false, problem: 'not_enrollment' }
  if (!text.startsWith(ENROLLMENT_QR_PREFIX)) return { ok: false, problem: 'unknown_version' }
  return { ok: false, problem: 'bad_code' }
}

/** The battery as the device reads it (the Battery Status API): 0–100 %, and whether it is charging. */
export const DeviceBattery = z.object({ level: z.number().int().min(0).max(100), charging: z.boolean() }).strict()
export type DeviceBattery = z.infer<typeof DeviceBattery>

/** When the depot retired a device, and who did. */
export const DeviceRetirement = z.object({ at: Timestamp, by: z.string().nullable() })
export type DeviceRetirement = z.infer<typeof DeviceRetirement>

export const RetireDeviceResponse = z.object({
  deviceId: DeviceId,
  retiredAt: Timestamp,
  retiredBy: z.object({ supervisorId: SupervisorId, name: z.string() }),
  /** Events the device still held unsent at its last heartbeat: it keeps them, and the backend refuses them. */
  pendingCount: z.number().int().min(0).nullable(),
})
export type RetireDeviceResponse = z.infer<typeof RetireDeviceResponse>

export const DEPOT_DEVICE_PATHS = {
  retire: (deviceId: string) => `/depot/devices/${encodeURIComponent(deviceId)}/retire`,
} as const
