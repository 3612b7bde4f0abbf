import { z } from 'zod'
import { Fen } from '../money'
import { IntentId, Timestamp } from './ids'

/**
 * The sandbox acquirer's customer-facing API (enabled with `--sandbox`), used by its wallet page, by e2e
 * tests and by the round runner to play the customer.
 */

/** `POST /sandbox/acquirer/pay`: the customer's wallet pays the QR it scanned. */
export const SandboxPayRequest = z
  .object({ qrPayload: z.string().min(1).max(1024), walletId: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/) })
  .strict()
export type SandboxPayRequest = z.infer<typeof SandboxPayRequest>

export const SandboxPayResponse = z.object({
  intentId: IntentId,
  transactionId: z.string(),
  amountFen: Fen,
  paidAt: Timestamp,
  merchantName: z.string(),
  waybill: z.string(),
  /** The signed receipt token (`TTR1.…`) the wallet shows as a QR. */
  receiptToken: z.string(),
})
export type SandboxPayResponse = z.infer<typeof SandboxPayResponse>

/**
 * `PUT /sandbox/acquirer/behaviour`: how the acquirer notifies, for tests and rounds. Delays are in ms;
 * `duplicates` sends each notification that many extra times; `outOfOrder` holds notifications back and
 * releases them newest first.
 */
export const SandboxBehaviour = z
  .object({
    notifyDelayMs: z.number().int().min(0).max(120_000),
    duplicates: z.number().int().min(0).max(5),
    outOfOrder: z.boolean(),
    /** While true, no notification is sent at all (they queue, and go out when it turns false). */
    holdNotifications: z.boolean(),
  })
  .strict()
export type SandboxBehaviour = z.infer<typeof SandboxBehaviour>
