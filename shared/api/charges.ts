import { z } from 'zod'
import { Fen } from '../money'
import { ChargeFailure, ChargeNo } from './acquirer'
import { IntentId, OrderId, Timestamp } from './ids'

/**
 * `POST /api/v1/intents/:intentId/charge` (shift token): the courier scanned the customer's payment code (付款码)
 * for this intent's order. The backend charges it at the acquirer under a charge number derived from the intent
 * (the same code again is the same charge), then follows the acquirer's rules until the outcome is final: on
 * "user paying" or no answer it queries every 3 to 5 s for up to 60 s, then revokes (撤销). It answers the first
 * outcome at once; what follows comes on the device stream (`charge`, and `payment` once paid) and from
 * `GET /api/v1/charges/:chargeNo`. Refusals: 400 `charge.bad_code` (not a payment code), 409 `order.closed`,
 * 409 `intent.already_paid` (the QR was paid first: the device treats the order as paid), 409 `intent.not_payable`
 * (expired or cancelled: renew first), 409 `charge.in_progress` (another code is being charged for it).
 */
export const ChargeRequest = z.object({ authCode: z.string().min(1).max(64) }).strict()
export type ChargeRequest = z.infer<typeof ChargeRequest>

/**
 * Where a charge stands: `sending` (asked, no answer yet), `user_paying` (the wallet asks the customer for their
 * PIN), `unknown` (the acquirer did not answer: the backend is asking), and the final `paid`, `failed` (with a
 * reason) and `revoked` (neither within the time allowed, so it was revoked: nothing was taken).
 */
export const ChargeState = z.enum(['sending', 'user_paying', 'unknown', 'paid', 'failed', 'revoked'])
export type ChargeState = z.infer<typeof ChargeState>

export const FINAL_CHARGE_STATES: readonly ChargeState[] = ['paid', 'failed', 'revoked']

export const ChargeResponse = z.object({
  chargeNo: ChargeNo,
  intentId: IntentId,
  orderId: OrderId,
  amountFen: Fen,
  status: ChargeState,
  failure: ChargeFailure.nullable(),
  /** For a wallet limit: the limit in the way, so the courier can offer to split the payment. */
  limitFen: Fen.nullable(),
  transactionId: z.string().nullable(),
  paidAt: Timestamp.nullable(),
  /** Past this, a charge neither paid nor failed is revoked. */
  deadlineAt: Timestamp,
  /** The code's first two and last four digits. */
  code: z.string(),
})
export type ChargeResponse = z.infer<typeof ChargeResponse>
