import { z } from 'zod'
import { Fen } from '../money'
import { PaymentIntent } from './shift'

/**
 * Payment intent operations (shift token; only the courier's own orders):
 * - `GET  /api/v1/intents/:intentId`: its status, as the backend knows it from the acquirer.
 * - `POST /api/v1/intents/:intentId/renew`: after expiry, a new intent for the next attempt (new ID, new QR).
 * - `POST /api/v1/intents/:intentId/cancel`: the courier switched to cash. A paid intent cannot be cancelled:
 *   the answer is 409 `intent.already_paid`, and the device treats the order as paid.
 * - `POST /api/v1/intents/:intentId/split`: a split payment, part digital and the rest in cash. The body names
 *   the digital part and the device's key for this split; the answer is the part's own intent (its QR is for the
 *   part, and a customer's code can pay it). The order's other open intents (the whole-amount one made ahead)
 *   are withdrawn at the acquirer. A retry with the same key answers the same intent; a part of 0 or of the
 *   whole amount or more is 422 `split.bad_amount`, a paid order 409 `intent.already_paid`, a closed one 409
 *   `order.closed`, a key reused for another part 409 `split.key_reused`.
 * Each answers the intent as it now stands.
 */
export const IntentResponse = PaymentIntent
export type IntentResponse = z.infer<typeof IntentResponse>

export const INTENT_ALREADY_PAID = 'intent.already_paid'

/** A split payment's request: the digital part (at least ¥0.01, less than the amount due) and the device's key. */
export const SplitRequest = z
  .object({
    digitalFen: Fen.min(1),
    /** Made once by the device for this split and sent on every retry: one split, one intent. */
    splitKey: z.uuid(),
  })
  .strict()
export type SplitRequest = z.infer<typeof SplitRequest>
