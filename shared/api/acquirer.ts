import { z } from 'zod'
import { Fen } from '../money'
import { IntentId, NotificationId, Timestamp } from './ids'

/**
 * The acquirer's notification to `POST /api/v1/acquirer/notifications`. It is signed with HMAC-SHA256 over
 * `<timestamp>.<raw body>` with the shared webhook secret: `x-acquirer-timestamp` is Unix seconds and
 * `x-acquirer-signature` the lower-case hex digest. The backend refuses a signature that does not match
 * (compared in constant time, 401 `webhook.bad_signature`), a timestamp more than 300 s away (401
 * `webhook.stale`), or the very same signed request a second time (409 `webhook.replayed`); a fresh delivery
 * of a notification ID it has already processed is answered `duplicate` and changes nothing.
 */
export const ACQUIRER_TIMESTAMP_HEADER = 'x-acquirer-timestamp'
export const ACQUIRER_SIGNATURE_HEADER = 'x-acquirer-signature'
export const WEBHOOK_TOLERANCE_SECONDS = 300

/** `payment.succeeded`: money moved. `payment.duplicate_attempt`: a second payment was refused. */
export const AcquirerNotificationType = z.enum(['payment.succeeded', 'payment.duplicate_attempt'])

/** Where an intent stands at the acquirer. */
export const AcquirerIntentStatus = z.enum(['pending', 'paid', 'expired', 'cancelled'])

export const AcquirerNotification = z
  .object({
    notificationId: NotificationId,
    type: AcquirerNotificationType,
    intentId: IntentId,
    transactionId: z.string().min(1).max(64),
    amountFen: Fen,
    occurredAt: Timestamp,
  })
  .strict()
export type AcquirerNotification = z.infer<typeof AcquirerNotification>

/** The acquirer's view of one intent, from its query API: what settlement trusts. */
export const AcquirerIntentRecord = z.object({
  intentId: IntentId,
  key: z.string(),
  amountFen: Fen,
  status: AcquirerIntentStatus,
  expiresAt: Timestamp,
  payments: z.array(
    z.object({
      transactionId: z.string(),
      amountFen: Fen,
      paidAt: Timestamp,
      walletId: z.string(),
      /** `refused_duplicate`: a second payment the acquirer turned away. */
      outcome: z.enum(['succeeded', 'refused_duplicate']),
    }),
  ),
})
export type AcquirerIntentRecord = z.infer<typeof AcquirerIntentRecord>

/**
 * The backend's 200 answer to an authentic notification: `applied` the first time, `duplicate` for every
 * redelivery. An authentic notification the backend cannot accept (an unknown intent: 422
 * `webhook.unknown_intent`; an amount that differs from the intent's: 422 `webhook.amount_mismatch`) is
 * recorded as rejected and answered the same 422 on every redelivery, changing nothing.
 */
export const AcquirerNotificationAck = z.object({
  notificationId: NotificationId,
  status: z.enum(['applied', 'duplicate']),
})
export type AcquirerNotificationAck = z.infer<typeof AcquirerNotificationAck>

/**
 * The acquirer's merchant API, which the backend calls with its API key (`Authorization: Bearer <key>`):
 * - `POST {acquirer}/v1/intents`: creates the intent for one payment, or returns the one already created under
 *   the same `key` (`cod:{orderId}:{attempt}`), so a retry never creates two;
 * - `GET  {acquirer}/v1/intents/:intentId`: the query API, an `AcquirerIntentRecord`;
 * - `POST {acquirer}/v1/intents/:intentId/cancel`: refused 409 `intent.already_paid` once paid;
 * - `GET  {acquirer}/v1/keys`: the acquirer's identity and receipt-signing public key (no key needed).
 */
export const AcquirerCreateIntentRequest = z
  .object({
    key: z.string().regex(/^cod:ord_[A-Za-z0-9]{4,40}:\d{1,4}$/, 'must be cod:{orderId}:{attempt}'),
    amountFen: Fen.min(1),
    /** EMVCo tag 59 and 60: at most 25 and 15 printable ASCII characters. */
    merchantName: z.string().regex(/^[\x20-\x7e]{1,25}$/),
    merchantCity: z.string().regex(/^[\x20-\x7e]{1,15}$/),
    waybill: z.string().regex(/^[\x20-\x7e]{1,25}$/),
    deviceId: z.string().regex(/^[\x20-\x7e]{1,25}$/),
    expiresAt: Timestamp,
    /** Where the acquirer sends this intent's notifications. */
    notifyUrl: z.url({ protocol: /^https?$/ }),
  })
  .strict()
export type AcquirerCreateIntentRequest = z.infer<typeof AcquirerCreateIntentRequest>

export const AcquirerCreatedIntent = AcquirerIntentRecord.extend({
  /** The EMVCo Merchant-Presented Mode payload for the QR, built by the acquirer. */
  qrPayload: z.string(),
})
export type AcquirerCreatedIntent = z.infer<typeof AcquirerCreatedIntent>

export const AcquirerKeys = z.object({
  acquirerId: z.string(),
  /** Ed25519 public key that signs receipts: the raw 32 bytes, base64url. */
  receiptPublicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
})
export type AcquirerKeys = z.infer<typeof AcquirerKeys>
