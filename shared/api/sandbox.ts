import { z } from 'zod'
import { Fen } from '../money'
import { AcquirerIntentStatus, AcquirerNotificationType } from './acquirer'
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

/** `POST /sandbox/acquirer/preview`: what the wallet shows before the customer pays. */
export const SandboxPreviewRequest = z.object({ qrPayload: z.string().min(1).max(1024) }).strict()
export type SandboxPreviewRequest = z.infer<typeof SandboxPreviewRequest>

export const SandboxPreviewResponse = z.object({
  intentId: IntentId,
  merchantName: z.string(),
  merchantCity: z.string(),
  amountFen: Fen,
  waybill: z.string(),
  status: AcquirerIntentStatus,
  expiresAt: Timestamp,
})
export type SandboxPreviewResponse = z.infer<typeof SandboxPreviewResponse>

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

/**
 * `GET /sandbox/acquirer/notifications`: the acquirer's outgoing notifications and how their delivery went,
 * newest first, so tests and rounds can wait for one to land.
 */
export const SandboxNotification = z.object({
  notificationId: z.string(),
  type: AcquirerNotificationType,
  intentId: IntentId,
  transactionId: z.string(),
  /** `pending` (queued, held or retrying), `delivered` (a 2xx came back) or `failed` (gave up). */
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int().min(0),
  lastError: z.string().nullable(),
  createdAt: Timestamp,
  deliveredAt: Timestamp.nullable(),
})
export type SandboxNotification = z.infer<typeof SandboxNotification>
export const SandboxNotificationsResponse = z.object({ notifications: z.array(SandboxNotification) })
export type SandboxNotificationsResponse = z.infer<typeof SandboxNotificationsResponse>
