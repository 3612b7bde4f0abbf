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

/**
 * `payment.succeeded`: money moved. `payment.duplicate_attempt`: a second payment was refused.
 * `refund.succeeded` / `refund.failed`: a refund the acquirer had accepted reached its result (`refundNo` says which).
 */
export const AcquirerNotificationType = z.enum([
  'payment.succeeded',
  'payment.duplicate_attempt',
  'refund.succeeded',
  'refund.failed',
])
export type AcquirerNotificationType = z.infer<typeof AcquirerNotificationType>

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
    /** For a payment taken by charging a customer's code: the merchant's charge number. */
    chargeNo: z.string().max(64).optional(),
    /** For `refund.*`: the merchant's refund number; `transactionId` is then the payment refunded. */
    refundNo: z.string().max(64).optional(),
    /** For `refund.failed`: the acquirer's reason. */
    failure: z.string().max(64).optional(),
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
      /** The merchant's charge number, for a payment taken by charging a customer's code. */
      chargeNo: z.string().nullable().optional(),
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
    /** EMVCo tag 64 (language template, ZH): the Chinese name and city, at most 25 and 15 characters. */
    merchantNameZh: z.string().min(1).max(25).optional(),
    merchantCityZh: z.string().min(1).max(15).optional(),
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

/**
 * Charging a customer's payment code (付款码), as WeChat Pay's micropay and Alipay's bar-code pay work:
 * - `POST {acquirer}/v1/charges`: charges the code for one intent under the merchant's `chargeNo`, the
 *   idempotency key every retry reuses (the same number with another code or amount is 409
 *   `charge.key_conflict`; a new code needs a new number). It answers the charge as it stands: `paid`,
 *   `user_paying` (the wallet asks the customer for their PIN) or `failed` with a reason. No answer at all
 *   (a timeout) is possible too, and is not a failure: the merchant must query.
 * - `GET {acquirer}/v1/charges/:chargeNo`: the query API (404 `charge.not_found` if it never arrived).
 * - `POST {acquirer}/v1/charges/:chargeNo/revoke` (撤销): closes a charge that is not paid, even one never
 *   received (so the request, arriving late, is refused); refused 409 `charge.already_paid` once paid, and the
 *   payment stands.
 */
export const ChargeNo = z.string().regex(/^chg_[A-Za-z0-9]{4,40}_\d{1,3}$/, 'must be chg_{intent}_{n}')

export const AcquirerChargeRequest = z
  .object({
    chargeNo: ChargeNo,
    intentId: IntentId,
    authCode: z.string().regex(/^\d{16,24}$/),
    amountFen: Fen.min(1),
    notifyUrl: z.url({ protocol: /^https?$/ }),
  })
  .strict()
export type AcquirerChargeRequest = z.infer<typeof AcquirerChargeRequest>

export const AcquirerChargeStatus = z.enum(['user_paying', 'paid', 'failed', 'revoked'])
export type AcquirerChargeStatus = z.infer<typeof AcquirerChargeStatus>

/** Why a charge failed, in the acquirer's words; the terminal says each in the customer's terms. */
export const ChargeFailure = z.enum([
  'insufficient_balance',
  'limit_per_payment',
  'limit_per_day',
  'code_expired',
  'code_used',
  'code_unknown',
  'pin_locked',
  'user_cancelled',
  'intent_closed',
  /** The acquirer refused the request itself (a malformed or conflicting charge). */
  'refused',
])
export type ChargeFailure = z.infer<typeof ChargeFailure>

export const AcquirerChargeRecord = z.object({
  chargeNo: ChargeNo,
  intentId: IntentId,
  amountFen: Fen,
  status: AcquirerChargeStatus,
  failure: ChargeFailure.nullable(),
  /** For a limit: the wallet's limit that was in the way, fen. */
  limitFen: Fen.nullable(),
  transactionId: z.string().nullable(),
  paidAt: Timestamp.nullable(),
})
export type AcquirerChargeRecord = z.infer<typeof AcquirerChargeRecord>

/**
 * Refunds (退款), as the acquirer takes them:
 * - `POST {acquirer}/v1/refunds`: refunds part or all of a payment under the merchant's `refundNo`, which every
 *   retry reuses: the same number again is the same refund, never a second one (a failed one is attempted
 *   again); another amount under it is 409 `refund.key_conflict`; more than is left of the payment is 422
 *   `refund.exceeds_paid`. The answer is `processing`: accepted, not succeeded. The result comes by a signed
 *   `refund.succeeded` / `refund.failed` notification, or by the query.
 * - `GET {acquirer}/v1/refunds/:refundNo`: the query API.
 */
export const RefundNo = z.string().regex(/^rf_[A-Za-z0-9_]{4,60}$/, 'must be rf_…')

export const AcquirerRefundRequest = z
  .object({
    refundNo: RefundNo,
    transactionId: z.string().min(1).max(64),
    amountFen: Fen.min(1),
    notifyUrl: z.url({ protocol: /^https?$/ }),
  })
  .strict()
export type AcquirerRefundRequest = z.infer<typeof AcquirerRefundRequest>

export const AcquirerRefundStatus = z.enum(['processing', 'succeeded', 'failed'])
export type AcquirerRefundStatus = z.infer<typeof AcquirerRefundStatus>

export const AcquirerRefundRecord = z.object({
  refundNo: RefundNo,
  transactionId: z.string(),
  intentId: IntentId,
  amountFen: Fen,
  status: AcquirerRefundStatus,
  failure: z.string().nullable(),
  /** When it reached its result. */
  settledAt: Timestamp.nullable(),
  attempts: z.number().int().min(1),
})
export type AcquirerRefundRecord = z.infer<typeof AcquirerRefundRecord>

/**
 * `GET {acquirer}/v1/statements/:date`: the merchant's statement (对账单) for a day, `text/csv`: money that moved
 * that day, cut by the time it succeeded in Asia/Shanghai. Its format is `backend/statements/format.ts`.
 */
export const StatementDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/)
