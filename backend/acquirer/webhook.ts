import type { FastifyInstance } from 'fastify'
import { AcquirerNotification, AcquirerNotificationAck, WEBHOOK_TOLERANCE_SECONDS } from '../../shared/api/acquirer'
import { API_PREFIX } from '../../shared/api/common'
import type { BackendContext } from '../context'
import { inTransaction } from '../db/transaction'
import { ApiError, conflict } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { applyRefundNotification } from '../refunds/service'
import { recordAcquirerPayment, type PaymentRecordResult } from './payments'

/** Notifications are small; anything bigger is not one. */
const WEBHOOK_BODY_LIMIT = 16 * 1024
const SIGNATURE_SWEEP_MS = 60_000

/**
 * `POST /api/v1/acquirer/notifications`: the acquirer's signed notifications. Order of work: signature (constant
 * time) and timestamp (`auth/callers.ts`); the body's shape; then the raw notification is stored, committed, before anything acts
 * on it, so a crash in between is finished by the acquirer's redelivery. It answers as soon as that short
 * transaction commits; the device hears about the payment through its stream.
 */
export function registerWebhookRoutes(app: FastifyInstance, routes: RouteTable, shared: BackendContext): void {
  // A payment the courier is waiting for at the door: on PostgreSQL its transactions take the urgent pool, so a
  // flood of pushes never queues them (bench/fleet: 9.5 s p50 at A before).
  const urgent = shared.database.urgent
  // Signatures older than twice the tolerance can no longer be replayed (the timestamp check refuses them): they
  // are swept now and then, not in every notification's transaction, which is one round trip a payment fewer.
  let sweptMs = 0
  const context: BackendContext = urgent
    ? { ...shared, database: { ...shared.database, db: urgent }, db: urgent }
    : shared
  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/acquirer/notifications`,
    summary: "The acquirer's signed payment notifications",
    tag: 'acquirer',
    auth: 'acquirer_signature',
    body: AcquirerNotification,
    bodyLimit: WEBHOOK_BODY_LIMIT,
    response: AcquirerNotificationAck,
    errors: [
      { status: 401, code: 'webhook.unsigned' },
      { status: 401, code: 'webhook.bad_signature' },
      { status: 401, code: 'webhook.stale' },
      { status: 409, code: 'webhook.replayed' },
      { status: 413, code: 'request.too_large' },
      { status: 422, code: 'webhook.unknown_intent' },
      { status: 422, code: 'webhook.amount_mismatch' },
      { status: 422, code: 'webhook.unknown_refund' },
      { status: 503, code: 'acquirer.not_configured' },
    ],
    handler: async ({ body: notification, caller, request }) => {
      const rawBody = request.rawBody ?? ''
      const { signature } = caller
      const now = context.now()

      // Step 1: keep what arrived. A notification already decided gets the same answer again.
      const sweep = now - sweptMs >= SIGNATURE_SWEEP_MS
      if (sweep) sweptMs = now
      const stored = await inTransaction(context.database, context.log, async (trx) => {
        if (sweep) {
          await trx
            .deleteFrom('webhook_signatures')
            .where('received_ms', '<', now - 2 * WEBHOOK_TOLERANCE_SECONDS * 1000)
            .execute()
        }
        const fresh = await trx
          .insertInto('webhook_signatures')
          .values({ signature, received_ms: now })
          .onConflict((c) => c.column('signature').doNothing())
          .executeTakeFirst()
        if (Number(fresh.numInsertedOrUpdatedRows ?? 0) === 0) {
          throw conflict('webhook.replayed', 'this exact signed request was already received')
        }
        const inserted = await trx
          .insertInto('acquirer_notifications')
          .values({
            notification_id: notification.notificationId,
            type: notification.type,
            intent_id: notification.intentId,
            transaction_id: notification.transactionId,
            amount_fen: notification.amountFen,
            occurred_at: notification.occurredAt,
            raw_body: rawBody,
            signed_at: caller.timestampSeconds,
            received_ms: now,
            outcome: 'received',
            reason: null,
            processed_ms: null,
          })
          .onConflict((c) => c.column('notification_id').doNothing())
          .returning(['outcome', 'reason'])
          .executeTakeFirst()
        // Stored just now (the usual case, one round trip fewer), or an earlier delivery's row.
        return (
          inserted ??
          trx
            .selectFrom('acquirer_notifications')
            .select(['outcome', 'reason'])
            .where('notification_id', '=', notification.notificationId)
            .executeTakeFirstOrThrow()
        )
      })
      if (stored.outcome === 'applied') {
        return { notificationId: notification.notificationId, status: 'duplicate' as const }
      }
      if (stored.outcome === 'rejected') {
        const [code, message] = (stored.reason ?? 'webhook.rejected|rejected').split('|') as [string, string]
        throw new ApiError(422, code, message, { notificationId: notification.notificationId })
      }

      // Step 2: act on it.
      const outcome = await inTransaction(context.database, context.log, async (trx, after) => {
        const current = await trx
          .selectFrom('acquirer_notifications')
          .select('outcome')
          .where('notification_id', '=', notification.notificationId)
          .executeTakeFirstOrThrow()
        if (current.outcome !== 'received') return { status: 'duplicate' as const }
        const refund = notification.type === 'refund.succeeded' || notification.type === 'refund.failed'
        const result: PaymentRecordResult = refund
          ? (await applyRefundNotification(context, trx, after, notification))
            ? { status: 'applied' }
            : {
                status: 'rejected',
                code: 'webhook.unknown_refund',
                message: `no refund ${notification.refundNo ?? '(none)'}`,
              }
          : await recordAcquirerPayment(context, trx, after, {
              intentId: notification.intentId,
              transactionId: notification.transactionId,
              amountFen: notification.amountFen,
              paidAt: notification.occurredAt,
              outcome: notification.type === 'payment.succeeded' ? 'succeeded' : 'refused_duplicate',
              source: 'notification',
              chargeNo: notification.chargeNo ?? null,
            })
        await trx
          .updateTable('acquirer_notifications')
          .set({
            outcome: result.status === 'rejected' ? 'rejected' : 'applied',
            reason: result.status === 'rejected' ? `${result.code}|${result.message}` : null,
            processed_ms: context.now(),
          })
          .where('notification_id', '=', notification.notificationId)
          .execute()
        return result
      })
      if (outcome.status === 'rejected') {
        request.log.warn({ event: 'webhook.rejected', code: outcome.code, notification }, outcome.message)
        throw new ApiError(422, outcome.code, outcome.message, { notificationId: notification.notificationId })
      }
      request.log.info(
        { event: 'webhook.applied', notificationId: notification.notificationId, intentId: notification.intentId },
        'acquirer notification applied',
      )
      return {
        notificationId: notification.notificationId,
        status: outcome.status === 'duplicate' ? ('duplicate' as const) : ('applied' as const),
      }
    },
  })
}
