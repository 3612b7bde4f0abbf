import { z } from 'zod'
import { Fen } from '../money'
import { AttentionResponse, CourierRef, RouteDay, SupervisorRef } from './dashboard'
import { CourierId, DeviceId, OrderId, Timestamp } from './ids'

/**
 * The depot's work queue (`GET /api/v1/depot/dashboard/attention`, `items`): everything that needs a supervisor
 * on a day, each item with the actions that close it. Every action goes through
 * `POST /api/v1/depot/attention/:itemId/resolve` (refunds through the refund route), which records who did it,
 * when and the note. Nothing is deleted: a resolved item stays in the answer with its resolution (the audit view).
 *
 * A new kind of item is one more value of `AttentionItemKind`, the actions it allows in `ATTENTION_ACTIONS`, and
 * a source in `backend/dashboard/attention-queue.ts`.
 */
export const AttentionItemKind = z.enum([
  'late_payment_after_cash',
  'double_payment',
  'unverified_not_found',
  'payment_after_revoke',
  'rejected_event',
  'clock_skew',
  /** An evidence event whose photo or signature file never arrived (`detail`: the kind). */
  'evidence_missing',
  /** A photo or signature file the device found with no event naming it, its capture cut short (`detail`: the kind). */
  'evidence_orphan_file',
  /** A completion without the proof its policy asked for, and no override (`detail`: what was missing). */
  'proof_missing',
  'late_after_close',
])
export type AttentionItemKind = z.infer<typeof AttentionItemKind>

/**
 * `resolve`: closed with a note; `owed_by_courier`: a "to be verified" payment the acquirer never saw, which the
 * courier owes; `reassign`: a refused event's order moved to another courier.
 */
export const AttentionAction = z.enum(['resolve', 'owed_by_courier', 'reassign'])
export type AttentionAction = z.infer<typeof AttentionAction>

/**
 * What closes each kind of item here. A refund (the payment-closure work) is approved on its own route and is
 * shown beside these as `refundable` items.
 */
export const ATTENTION_ACTIONS: Record<AttentionItemKind, readonly AttentionAction[]> = {
  late_payment_after_cash: ['resolve'],
  double_payment: ['resolve'],
  unverified_not_found: ['owed_by_courier', 'resolve'],
  payment_after_revoke: ['resolve'],
  rejected_event: ['resolve', 'reassign'],
  clock_skew: ['resolve'],
  evidence_missing: ['resolve'],
  evidence_orphan_file: ['resolve'],
  proof_missing: ['resolve'],
  late_after_close: ['resolve'],
}

/** `<source>:<key>`: `flag:flg_…`, `rejection:<deviceId>:<seq>`, `skew:<deviceId>:<date>`, `late:<deviceId>:<seq>`. */
export const AttentionItemId = z
  .string()
  .regex(/^[a-z][a-z_]{1,20}:[A-Za-z0-9_.:-]{1,90}$/, 'must be a work-queue item ID like flag:flg_…')
export type AttentionItemId = z.infer<typeof AttentionItemId>

export const AttentionResolution = z.object({
  action: AttentionAction,
  note: z.string(),
  supervisor: SupervisorRef,
  at: Timestamp,
  /** The courier the order went to (reassign), or who owes the money (owed_by_courier). */
  courier: CourierRef.nullable(),
  amountFen: Fen.nullable(),
})
export type AttentionResolution = z.infer<typeof AttentionResolution>

export const AttentionQueueItem = z.object({
  itemId: AttentionItemId,
  kind: AttentionItemKind,
  /** When the item arose (the flag, the refusal, the skew's measurement). */
  createdAt: Timestamp,
  courier: CourierRef.nullable(),
  orderId: OrderId.nullable(),
  waybill: z.string().nullable(),
  deviceId: DeviceId.nullable(),
  amountFen: Fen.nullable(),
  /** A stable code saying what happened (a rejection's reason, a flag's kind); the page translates it. */
  detail: z.string(),
  /** Money a customer paid twice: the refund route applies (its button sits in the item's actions). */
  refundable: z.boolean(),
  /** The flag behind the item, for the refund route. */
  flagId: z.string().nullable(),
  actions: z.array(AttentionAction),
  resolution: AttentionResolution.nullable(),
})
export type AttentionQueueItem = z.infer<typeof AttentionQueueItem>

/**
 * `GET /api/v1/depot/dashboard/attention?date`: the lists by source as before, plus the work queue, open items
 * first, and how many are open.
 */
export const AttentionQueueResponse = AttentionResponse.extend({
  items: z.array(AttentionQueueItem),
  openCount: z.number().int().min(0),
})
export type AttentionQueueResponse = z.infer<typeof AttentionQueueResponse>

export const AttentionItemParams = z.object({ itemId: AttentionItemId })

/** `POST /api/v1/depot/attention/:itemId/resolve`. A note is always needed; a reassignment names the courier. */
export const ResolveAttentionRequest = z
  .object({
    action: AttentionAction,
    note: z.string().trim().min(1, 'a note is needed').max(500),
    courierId: CourierId.optional(),
  })
  .strict()
  .refine((body) => (body.action === 'reassign') === (body.courierId !== undefined), {
    message: 'courierId is given with reassign, and only then',
    path: ['courierId'],
  })
export type ResolveAttentionRequest = z.input<typeof ResolveAttentionRequest>

export const ResolveAttentionResponse = z.object({
  date: RouteDay,
  item: AttentionQueueItem,
  /** Items of that day still open after this one. */
  openCount: z.number().int().min(0),
})
export type ResolveAttentionResponse = z.infer<typeof ResolveAttentionResponse>

export const ATTENTION_RESOLVE_PATH = '/depot/attention/:itemId/resolve'
