import { z } from 'zod'
import { Fen } from '../money'
import { IntentId, NotificationId, Timestamp } from './ids'

/**
 * The acquirer's notification to `POST /api/v1/acquirer/notifications`. It is signed with HMAC-SHA256 over
 * `<timestamp>.<raw body>` with the shared webhook secret; the backend refuses a signature that does not
 * match (compared in constant time) or a timestamp more than 300 s away, and ignores a notification ID it
 * has already seen.
 */
export const ACQUIRER_TIMESTAMP_HEADER = 'x-acquirer-timestamp'
export const ACQUIRER_SIGNATURE_HEADER = 'x-acquirer-signature'
export const WEBHOOK_TOLERANCE_SECONDS = 300

export const AcquirerNotification = z
  .object({
    notificationId: NotificationId,
    /** `payment.succeeded`: money moved. `payment.duplicate_attempt`: a second payment was refused. */
    type: z.enum(['payment.succeeded', 'payment.duplicate_attempt']),
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
  status: z.enum(['pending', 'paid', 'expired', 'cancelled']),
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
