import { z } from 'zod'
import { OrderId, Timestamp } from './ids'

/**
 * `POST /api/v1/orders/:orderId/calls` (the courier's shift token): a virtual number (隐私号) bound to the order's
 * customer for the order's delivery window, through the depot's telephony provider. The customer's own number
 * never leaves the backend; the call itself is logged by the provider.
 */
export const CallBindingResponse = z.object({
  bindingId: z.string().min(1).max(64),
  orderId: OrderId,
  /** The number the courier dials, e.g. +86 170 0012 3456. */
  number: z.string().min(3).max(32),
  /** An extension to key in after the number connects, when the provider uses one. */
  extension: z.string().max(8).nullable(),
  validUntil: Timestamp,
})
export type CallBindingResponse = z.infer<typeof CallBindingResponse>
