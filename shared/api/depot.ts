import { z } from 'zod'
import { Fen } from '../money'
import { CourierId, DepotId, DeviceId, IntentId, OrderId, SupervisorId, Timestamp } from './ids'
import { OrderStatus } from './shift'
import { FlagKind } from './stream'

/**
 * The depot's endpoints (supervisor token, except login). The dashboard builds on these; enrollment codes are
 * in `device.ts`.
 */

/** `POST /api/v1/depot/sessions`: a supervisor logs in. Repeated wrong passwords lock the login for a while. */
export const SupervisorLoginRequest = z
  .object({ login: z.string().regex(/^[a-z0-9._-]{3,32}$/), password: z.string().min(1).max(128) })
  .strict()
export type SupervisorLoginRequest = z.infer<typeof SupervisorLoginRequest>

export const SupervisorLoginResponse = z.object({
  supervisorToken: z.string().min(32),
  expiresAt: Timestamp,
  supervisor: z.object({ supervisorId: SupervisorId, name: z.string() }),
  depot: z.object({ depotId: DepotId, name: z.string() }),
})
export type SupervisorLoginResponse = z.infer<typeof SupervisorLoginResponse>

/** `POST /api/v1/depot/orders/:orderId/cancel` and `…/reassign`: the route changes under the courier. */
export const ReassignOrderRequest = z.object({ courierId: CourierId }).strict()
export type ReassignOrderRequest = z.infer<typeof ReassignOrderRequest>

export const OrderChangeResponse = z.object({
  orderId: OrderId,
  status: OrderStatus,
  courierId: CourierId,
  /** The manifest version of the route the order is on now. */
  version: z.number().int().min(1),
})
export type OrderChangeResponse = z.infer<typeof OrderChangeResponse>

/** `GET /api/v1/depot/devices`: every enrolled device with the backlog of its last heartbeat. */
export const DepotDevice = z.object({
  deviceId: DeviceId,
  label: z.string(),
  enrolledAt: Timestamp,
  /** Highest event sequence the backend holds for it. */
  ackedSeq: z.number().int().min(0),
  pendingCount: z.number().int().min(0).nullable(),
  oldestPendingAt: Timestamp.nullable(),
  appVersion: z.string().nullable(),
  lastSyncAt: Timestamp.nullable(),
  lastContactAt: Timestamp.nullable(),
})
export type DepotDevice = z.infer<typeof DepotDevice>
export const DepotDevicesResponse = z.object({ devices: z.array(DepotDevice) })
export type DepotDevicesResponse = z.infer<typeof DepotDevicesResponse>

/** `GET /api/v1/depot/flags`: what the depot must put right (refunds, payments that never arrived). */
export const DepotFlag = z.object({
  flagId: z.string(),
  orderId: OrderId,
  waybill: z.string(),
  kind: FlagKind,
  intentId: IntentId.nullable(),
  transactionId: z.string().nullable(),
  amountFen: Fen,
  note: z.string(),
  createdAt: Timestamp,
  resolvedAt: Timestamp.nullable(),
})
export type DepotFlag = z.infer<typeof DepotFlag>
export const DepotFlagsResponse = z.object({ flags: z.array(DepotFlag) })
export type DepotFlagsResponse = z.infer<typeof DepotFlagsResponse>
