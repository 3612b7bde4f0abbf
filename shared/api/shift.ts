import { z } from 'zod'
import { Fen, TotalFen } from '../money'
import { DeliveryMethod, FailureReason } from './events'
import { ManifestProof } from './proof'
import { RefundNotice, SettlementVerdict } from './closure'
import {
  CourierId,
  DepotId,
  DeviceId,
  IntentId,
  OrderId,
  ParcelId,
  Pin,
  ShiftId,
  StaffId,
  StopId,
  Timestamp,
} from './ids'

/** How long a prepaid, cash or failed completion can be undone, unless the depot's configuration says otherwise. */
export const DEFAULT_UNDO_WINDOW_MS = 10_000

/** `POST /api/v1/shifts` (device token): a courier logs in on an enrolled device and a shift starts. */
export const LoginRequest = z.object({ staffId: StaffId, pin: Pin }).strict()
export type LoginRequest = z.infer<typeof LoginRequest>

/** Limits on "paid, to be verified" payments, in fen; the terminal shows both. */
export const UnverifiedLimits = z.object({ perOrderFen: Fen, perShiftFen: TotalFen })
export type UnverifiedLimits = z.infer<typeof UnverifiedLimits>

export const LoginResponse = z.object({
  shiftId: ShiftId,
  /** Bearer token for this courier's manifest, intents and shift; expires at the end of the shift. */
  shiftToken: z.string().min(32),
  expiresAt: Timestamp,
  courier: z.object({ courierId: CourierId, staffId: StaffId, name: z.string() }),
  depotId: DepotId,
  deviceId: DeviceId,
  unverifiedLimits: UnverifiedLimits,
  /**
   * How long a prepaid, cash or failed completion can be undone, by the courier's clock between the completion
   * and the undo. The backend applies an undo only inside it. Absent from an older backend: 10 s.
   */
  undoWindowMs: z.number().int().min(0).max(600_000).optional(),
})
export type LoginResponse = z.infer<typeof LoginResponse>

export const IntentStatus = z.enum(['pending', 'paid', 'expired', 'cancelled'])
export type IntentStatus = z.infer<typeof IntentStatus>

/** A payment intent created with the acquirer for one attempt at one COD order. */
export const PaymentIntent = z.object({
  intentId: IntentId,
  orderId: OrderId,
  attempt: z.number().int().min(1),
  amountFen: Fen,
  /** The EMVCo Merchant-Presented Mode payload the terminal shows as a QR. */
  qrPayload: z.string().min(12).max(512),
  status: IntentStatus,
  expiresAt: Timestamp,
  paidAt: Timestamp.nullable(),
  transactionId: z.string().nullable(),
})
export type PaymentIntent = z.infer<typeof PaymentIntent>

export const Parcel = z.object({
  parcelId: ParcelId,
  /** The label, e.g. `JDVA00012345678-1-2-`. */
  barcode: z.string(),
  index: z.number().int().min(1),
  count: z.number().int().min(1),
})
export type Parcel = z.infer<typeof Parcel>

export const OrderStatus = z.enum(['pending', 'delivered', 'failed', 'cancelled', 'reassigned'])
export type OrderStatus = z.infer<typeof OrderStatus>

export const ManifestOrder = z.object({
  orderId: OrderId,
  waybill: z.string(),
  /** Amount due at the door, fen; 0 means prepaid. */
  codFen: Fen,
  recipient: z.object({
    /** e.g. 吴* */
    maskedName: z.string(),
    /** e.g. 138****5678 */
    maskedPhone: z.string(),
  }),
  address: z.string(),
  parcels: z.array(Parcel).min(1),
  status: OrderStatus,
  /** The current attempt at delivering it (1 for the first). */
  attempt: z.number().int().min(1),
  /** Created ahead for every COD order; null when prepaid. */
  intent: PaymentIntent.nullable(),
  /**
   * For an order already delivered or failed (on this device, or on another before a device swap): how, as the
   * backend recorded it, so a device that did not see it shows the same truth and counts the same money.
   */
  outcome: z
    .object({
      method: DeliveryMethod.nullable(),
      collectedFen: Fen,
      failureReason: FailureReason.nullable(),
      closedAt: Timestamp.nullable(),
    })
    .nullable()
    .optional(),
  /**
   * The order's proof policy, decided by the backend from the depot's rules, and the salted hash its delivery
   * code is checked against offline. Absent from an older backend, or when the depot asks for no proof.
   */
  proof: ManifestProof.optional(),
  /**
   * The money after the door, as the backend holds it: the order's refunds and how its "paid, to be verified"
   * claim was settled. A device that missed the stream (offline, swapped in) counts refunded and owed from this.
   * Absent when there is neither, or from an older backend.
   */
  money: z
    .object({
      refunds: z.array(RefundNotice).max(20),
      settlement: z.object({ intentId: IntentId, verdict: SettlementVerdict }).nullable(),
    })
    .optional(),
})
export type ManifestOrder = z.infer<typeof ManifestOrder>

export const ManifestStop = z.object({
  stopId: StopId,
  /** 1-based position in route order. */
  sequence: z.number().int().min(1),
  address: z.string(),
  orders: z.array(ManifestOrder).min(1),
})
export type ManifestStop = z.infer<typeof ManifestStop>

/** `GET /api/v1/shifts/:shiftId/manifest` (shift token): everything needed at the door, fetched at shift start. */
export const Manifest = z.object({
  shiftId: ShiftId,
  courierId: CourierId,
  depotId: DepotId,
  /** The route's day, YYYY-MM-DD in the depot's time zone. */
  routeDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** Increases with every change (an order cancelled or reassigned), so a device knows it is current. */
  version: z.number().int().min(1),
  generatedAt: Timestamp,
  acquirer: z.object({
    acquirerId: z.string(),
    /** Ed25519 public key that signs receipts: the raw 32 bytes, base64url (a JWK's `x`). */
    receiptPublicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  }),
  stops: z.array(ManifestStop),
})
export type Manifest = z.infer<typeof Manifest>
