import { z } from 'zod'
import { Fen } from '../money'
import { DeviceId, IntentId, OrderId, ShiftId, Timestamp } from './ids'
import { ChargeResponse } from './charges'
import { RefundNotice, SettlementVerdict } from './closure'
import { IntentStatus } from './shift'

export { SettlementVerdict }

/**
 * `GET /api/v1/devices/:deviceId/stream` (device token): server-sent events, each with an increasing `id:`
 * (the device's stream cursor; resume with `Last-Event-ID`, header or `?lastEventId=`), plus `: keep-alive`
 * comments. Every message is stored, so a device that keeps its last id and resumes with it misses nothing;
 * without one the stream starts at the present, and `Last-Event-ID: 0` replays everything kept.
 * Event names and their data:
 */
/**
 * What the backend flags for the depot: money a customer paid twice (after cash, or twice over), to refund, and a
 * payment a device claimed that the acquirer never had.
 */
export const FlagKind = z.enum([
  'late_payment_after_cash',
  'double_payment',
  'unverified_not_found',
  /** A customer's code was charged after the charge was revoked (their PIN raced the revoke): refunded by itself. */
  'payment_after_revoke',
])
export type FlagKind = z.infer<typeof FlagKind>

export const StreamMessages = {
  /** An intent changed at the acquirer: usually, it was paid. */
  payment: z.object({
    intentId: IntentId,
    orderId: OrderId,
    status: IntentStatus,
    amountFen: Fen,
    paidAt: Timestamp.nullable(),
    transactionId: z.string().nullable(),
  }),
  /** The route changed under the courier: an order cancelled, reassigned or updated. */
  manifest: z.object({
    shiftId: ShiftId,
    orderId: OrderId,
    change: z.enum(['cancelled', 'reassigned', 'updated']),
    version: z.number().int().min(1),
  }),
  /** The backend's verdict on a "paid, to be verified" payment, settled against the acquirer's records. */
  settlement: z.object({
    orderId: OrderId,
    intentId: IntentId,
    verdict: SettlementVerdict,
    transactionId: z.string().nullable(),
  }),
  /**
   * The courier logged in on another terminal (a device swap): this device's shift continues there. The device
   * still sends what it holds, and takes no new action for that shift.
   */
  shift: z.object({
    shiftId: ShiftId,
    change: z.literal('moved'),
    toDeviceId: DeviceId,
    at: Timestamp,
  }),
  /** A charge of a customer's payment code moved on: waiting for their PIN, paid, failed, or revoked. */
  charge: ChargeResponse,
  /** A refund of money the customer paid twice (or after a revoke) moved on: accepted, paid back, or failed. */
  refund: RefundNotice,
  /** Something the depot must put right: money to refund or a payment that never arrived. */
  flag: z.object({
    orderId: OrderId,
    kind: FlagKind,
    intentId: IntentId.nullable(),
    amountFen: Fen,
  }),
  /**
   * The depot closed an item of its work queue that this device shows: a flag on an order, or an event this
   * device sent that was refused (by its sequence). The item leaves the courier's "needs attention" list.
   */
  resolved: z.object({
    item: z.enum(['flag', 'rejection']),
    orderId: OrderId.nullable(),
    flagKind: FlagKind.nullable(),
    seq: z.number().int().min(1).nullable(),
    at: Timestamp,
  }),
  /** The depot retired this device: its token is refused from now on, and the stream closes after this. */
  device: z.object({ change: z.literal('retired'), at: Timestamp, by: z.string().nullable() }),
} as const

export type StreamMessageName = keyof typeof StreamMessages
export type StreamMessage<N extends StreamMessageName> = z.infer<(typeof StreamMessages)[N]>
