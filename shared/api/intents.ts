import { type z } from 'zod'
import { PaymentIntent } from './shift'

/**
 * Payment intent operations (shift token; only the courier's own orders):
 * - `GET  /api/v1/intents/:intentId`: its status, as the backend knows it from the acquirer.
 * - `POST /api/v1/intents/:intentId/renew`: after expiry, a new intent for the next attempt (new ID, new QR).
 * - `POST /api/v1/intents/:intentId/cancel`: the courier switched to cash. A paid intent cannot be cancelled:
 *   the answer is 409 `intent.already_paid`, and the device treats the order as paid.
 * Each answers the intent as it now stands.
 */
export const IntentResponse = PaymentIntent
export type IntentResponse = z.infer<typeof IntentResponse>

export const INTENT_ALREADY_PAID = 'intent.already_paid'
