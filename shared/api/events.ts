import { z } from 'zod'
import { Fen, TotalFen } from '../money'
import { EvidenceCaptured } from './evidence'
import { Handover, OverrideReason, ProofKind } from './proof'
import { IntentId, OrderId, ParcelId, ShiftId, StopId, Timestamp } from './ids'

export const ScanSource = z.enum(['wedge', 'camera', 'manual'])
export type ScanSource = z.infer<typeof ScanSource>

export const FailureReason = z.enum(['not_home', 'refused', 'wrong_address', 'damaged', 'reschedule'])
export type FailureReason = z.infer<typeof FailureReason>

/**
 * Why a scanned code was refused. The `receipt_*` reasons are for a customer's receipt QR (`TTR1.…`): unreadable,
 * not signed by the acquirer, for another payment than the order on screen, for none on this manifest, or for
 * another amount than the order's.
 */
export const ScanRefusal = z.enum([
  'malformed',
  'not_on_manifest',
  'already_delivered',
  'order_closed',
  'receipt_malformed',
  'receipt_bad_signature',
  'receipt_other_intent',
  'receipt_unknown_intent',
  'receipt_wrong_amount',
  /** A parcel scanned while another order's QR or cash panel was open, and the courier kept that collection. */
  'collection_in_progress',
  /** A customer's payment code (付款码) scanned with no order in hand ready to collect: nothing was charged. */
  'payment_code_no_order',
])
export type ScanRefusal = z.infer<typeof ScanRefusal>

/** How the device learned a digital payment went through. */
export const PaymentConfirmation = z.enum(['push', 'poll', 'receipt'])
export type PaymentConfirmation = z.infer<typeof PaymentConfirmation>

/** Why a courier moves a stop later in the route, or skips it for now (it stays on the route, at its end). */
export const StopMoveReason = z.enum(['no_access', 'closed', 'customer_asked', 'traffic', 'other'])
export type StopMoveReason = z.infer<typeof StopMoveReason>

export const DeliveryMethod = z.enum(['digital', 'cash', 'prepaid', 'split'])
export type DeliveryMethod = z.infer<typeof DeliveryMethod>

/**
 * What the courier did, as the device records it in its outbox: statements of fact with the courier's time.
 * The backend checks each against its own records and never takes the device's word for digital money.
 */
export const DeviceEventBody = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('parcel.scanned'),
    payload: z
      .object({ orderId: OrderId, parcelId: ParcelId, barcode: z.string().max(64), source: ScanSource })
      .strict(),
  }),
  z.object({
    type: z.literal('scan.refused'),
    payload: z.object({ code: z.string().max(64), reason: ScanRefusal, source: ScanSource }).strict(),
  }),
  z.object({
    type: z.literal('payment.qr_shown'),
    payload: z.object({ orderId: OrderId, intentId: IntentId }).strict(),
  }),
  z.object({
    type: z.literal('payment.confirmed'),
    payload: z
      .object({
        orderId: OrderId,
        intentId: IntentId,
        amountFen: Fen,
        via: PaymentConfirmation,
        transactionId: z.string().max(64),
        paidAt: Timestamp,
        /** The signed receipt token when `via` is `receipt`. */
        receipt: z.string().max(1024).nullable(),
      })
      .strict(),
  }),
  z.object({
    type: z.literal('payment.unverified'),
    payload: z.object({ orderId: OrderId, intentId: IntentId, amountFen: Fen }).strict(),
  }),
  z.object({
    type: z.literal('intent.cancelled'),
    payload: z.object({ orderId: OrderId, intentId: IntentId }).strict(),
  }),
  z.object({
    type: z.literal('delivery.completed'),
    payload: z
      .object({
        orderId: OrderId,
        attempt: z.number().int().min(1),
        method: DeliveryMethod,
        dueFen: Fen,
        /** What was taken at the door: cash counted, or the digital amount paid; 0 when prepaid. */
        collectedFen: Fen,
        /** For a digital delivery: the intent it was paid through. */
        intentId: IntentId.nullable(),
        /** How it was handed over; absent from an older terminal (to the recipient). */
        handover: Handover.optional(),
      })
      .strict(),
  }),
  z.object({
    type: z.literal('delivery.failed'),
    payload: z.object({ orderId: OrderId, attempt: z.number().int().min(1), reason: FailureReason }).strict(),
  }),
  z.object({
    /**
     * The courier undid a prepaid, cash or failed completion within the undo window, by the courier's clock
     * between the two events: the order is open again. The completion event stays; this one follows it.
     */
    type: z.literal('delivery.undone'),
    payload: z
      .object({
        orderId: OrderId,
        attempt: z.number().int().min(1),
        /** What is undone: a delivery (prepaid or cash) or a failure. */
        outcome: z.enum(['delivered', 'failed']),
        method: DeliveryMethod.nullable(),
      })
      .strict(),
  }),
  z.object({
    /**
     * The courier moved a stop later in the route, or skipped it for now (to the end of the route): `order` is the
     * shift's stops in their new order, so the backend and the depot see the route as the courier will walk it.
     */
    type: z.literal('stop.moved'),
    payload: z
      .object({
        stopId: StopId,
        move: z.enum(['later', 'skip']),
        reason: StopMoveReason,
        order: z.array(StopId).min(1).max(1000),
      })
      .strict(),
  }),
  z.object({
    /** The courier called the customer through a virtual number bound for this order (隐私号): evidence of trying. */
    type: z.literal('call.attempted'),
    payload: z.object({ orderId: OrderId, bindingId: z.string().min(1).max(64) }).strict(),
  }),
  z.object({
    /** One try at the order's delivery code, checked offline: right or wrong, and which try of the limit it was. */
    type: z.literal('proof.code_checked'),
    payload: z
      .object({
        orderId: OrderId,
        attempt: z.number().int().min(1),
        ok: z.boolean(),
        tries: z.number().int().min(1).max(10),
      })
      .strict(),
  }),
  z.object({
    /** The courier completes without the proof the policy asked for, with a reason (and who approved it). */
    type: z.literal('proof.overridden'),
    payload: z
      .object({
        orderId: OrderId,
        attempt: z.number().int().min(1),
        reason: OverrideReason,
        note: z.string().max(200).nullable(),
        waived: z.array(ProofKind).max(3),
      })
      .strict(),
  }),
  z.object({
    /** A photo or signature was stored on the device: its SHA-256 bound to the order, attempt and capture time. */
    type: z.literal('proof.evidence_captured'),
    payload: EvidenceCaptured,
  }),
  z.object({
    type: z.literal('shift.cash_declared'),
    /** The cash the courier counted for the whole shift: a total. */
    payload: z.object({ declaredFen: TotalFen }).strict(),
  }),
  z.object({
    type: z.literal('shift.closed'),
    payload: z
      .object({
        forced: z.boolean(),
        pendingCount: z.number().int().min(0),
        /** What the courier confirmed was still open: stops not done, and cash collected but not declared. */
        stopsLeft: z.number().int().min(0).optional(),
        cashUndeclaredFen: Fen.optional(),
      })
      .strict(),
  }),
])
export type DeviceEventBody = z.infer<typeof DeviceEventBody>
export type DeviceEventType = DeviceEventBody['type']

/** A device clock more than ten years off is not a clock reading anyone can correct. */
export const MAX_CLOCK_OFFSET_MS = 10 * 366 * 24 * 3600_000

/** A device clock further than this from the backend's is shown as skewed, on the terminal and to the depot. */
export const CLOCK_SKEW_WARNING_MS = 2 * 60_000

/** What every event carries besides its type and payload. */
const DeviceEventEnvelope = z.object({
  /** Per-device sequence: 1, 2, 3, … with no gaps. */
  seq: z.number().int().min(1),
  /** Random (UUID v4), so a replay is recognised whatever its sequence. */
  eventId: z.uuid(),
  /** When the courier acted, by the device's clock; never the sync time. */
  occurredAt: Timestamp,
  /**
   * The backend's clock minus the device's, in ms, as the device had measured it when the courier acted; null or
   * absent while it had never been measured. `occurredAt + clockOffsetMs` is the courier's time in backend time.
   */
  clockOffsetMs: z.number().int().min(-MAX_CLOCK_OFFSET_MS).max(MAX_CLOCK_OFFSET_MS).nullable().optional(),
  shiftId: ShiftId,
})

/**
 * An outbox event: the envelope on every kind of body. Built as one discriminated union of each body extended with
 * the envelope rather than as an intersection, which zod checks twice and then merges (four times the cost, and a
 * backend parses 200 of these a batch).
 */
export type DeviceEvent = z.infer<typeof DeviceEventEnvelope> & DeviceEventBody
const eventKinds = DeviceEventBody.options.map((body) => body.extend(DeviceEventEnvelope.shape))
export const DeviceEvent: z.ZodType<DeviceEvent> = z.discriminatedUnion(
  'type',
  eventKinds as [(typeof eventKinds)[number], ...(typeof eventKinds)[number][]],
)

/**
 * `POST /api/v1/devices/:deviceId/events` (device token). `gap`: the device no longer holds the events from
 * `expected` (the sequence the backend asked for) up to the first one sent, so it cannot rewind; the backend
 * accepts the batch past the gap and records the gap for the depot, instead of leaving the queue stuck for good.
 */
export const PushEventsRequest = z
  .object({
    events: z.array(DeviceEvent).min(1).max(500),
    gap: z
      .object({ expected: z.number().int().min(1) })
      .strict()
      .optional(),
  })
  .strict()
export type PushEventsRequest = z.infer<typeof PushEventsRequest>

export const EventResult = z.object({
  seq: z.number().int().min(1),
  eventId: z.uuid(),
  status: z.enum(['applied', 'duplicate', 'rejected']),
  /** Why a rejected event was refused, e.g. `order.reassigned`; the device keeps it for attention. */
  reason: z.string().nullable(),
})
export type EventResult = z.infer<typeof EventResult>

export const PushEventsResponse = z.object({
  results: z.array(EventResult),
  /** The highest sequence the backend holds for this device, applied or rejected. */
  ackedThrough: z.number().int().min(0),
})
export type PushEventsResponse = z.infer<typeof PushEventsResponse>

/** A gap is answered 409 with this error code and `details.expected`, the sequence the backend wants next. */
export const SEQUENCE_GAP = 'events.sequence_gap'
