import { z } from 'zod'
import { DeviceBattery } from './depot-devices'
import { EvidenceOrphanReport, MAX_ORPHANS_PER_HEARTBEAT } from './evidence'
import { DepotId, DeviceId, Timestamp } from './ids'

/** A single-use enrollment code a supervisor creates: eight characters, no look-alikes (0/O, 1/I). */
export const EnrollmentCode = z
  .string()
  .transform((code) => code.trim().toUpperCase())
  .pipe(z.string().regex(/^[A-HJ-NP-Z2-9]{8}$/, 'must be an 8-character enrollment code'))

/** `POST /api/v1/devices/enroll` (no token: the code is the credential). */
export const EnrollRequest = z.object({ code: EnrollmentCode, label: z.string().min(1).max(64).optional() }).strict()
export type EnrollRequest = z.input<typeof EnrollRequest>

export const EnrollResponse = z.object({
  deviceId: DeviceId,
  /** The device's bearer credential; the device keeps it in its credential store. */
  deviceToken: z.string().min(32),
  depotId: DepotId,
  depotName: z.string(),
})
export type EnrollResponse = z.infer<typeof EnrollResponse>

/** `POST /api/v1/depot/enrollment-codes` (supervisor token). */
export const CreateEnrollmentCodeResponse = z.object({ code: z.string(), expiresAt: Timestamp })
export type CreateEnrollmentCodeResponse = z.infer<typeof CreateEnrollmentCodeResponse>

/**
 * How often an online device sends its heartbeat, besides the one after every sync. Every five minutes: across a
 * fleet heartbeats were most of the backend's writes at one a minute (DESIGN section 8), and the depot needs no
 * finer picture of an idle device than this.
 */
export const HEARTBEAT_INTERVAL_MS = 5 * 60_000

/**
 * A device not heard from for longer than this is shown as out of contact: three heartbeats missed, so a healthy
 * device, whose last contact is at most one interval (plus a slow answer) old, never is.
 */
export const OUT_OF_CONTACT_MS = 3 * HEARTBEAT_INTERVAL_MS

/** Whether a device last heard from `lastContactAgeMs` ago is shown as out of contact (null: never heard from). */
export const outOfContact = (lastContactAgeMs: number | null): boolean =>
  lastContactAgeMs !== null && lastContactAgeMs > OUT_OF_CONTACT_MS

/**
 * `POST /api/v1/devices/:deviceId/heartbeat` (device token): the device's backlog, so the depot sees it.
 * Sent on every sync and every `HEARTBEAT_INTERVAL_MS` while online.
 */
/** The most an outbox count can be and still be stored (a 32-bit column). */
const MAX_PENDING = 2_147_483_647

export const HeartbeatRequest = z
  .object({
    pendingCount: z.number().int().min(0).max(MAX_PENDING),
    oldestPendingAt: Timestamp.nullable(),
    lastSyncAt: Timestamp.nullable(),
    appVersion: z.string().min(1).max(32),
    /** The device's own clock when it sent this (never corrected): the backend reads the device's skew from it. */
    sentAt: Timestamp,
    /** The battery, where the device can read it; left out by devices that cannot. */
    battery: DeviceBattery.nullable().optional(),
    /**
     * Evidence orphans the device found and the backend has not yet taken (each is sent again until a heartbeat
     * carrying it is answered): they go to the depot's work queue, never dropped. Left out when there are none.
     */
    evidenceOrphans: z.array(EvidenceOrphanReport).max(MAX_ORPHANS_PER_HEARTBEAT).optional(),
  })
  .strict()
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>

export const HeartbeatResponse = z.object({ serverTime: Timestamp })
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>
