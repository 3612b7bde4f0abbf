import type { AcquirerNotification, AcquirerRefundRecord } from '../../shared/api/acquirer'
import { API_PREFIX } from '../../shared/api/common'
import { pastDeadline, slicedPass, startBackgroundLoop, type BackgroundLoop } from '../background'
import { markRefundState } from '../closure/final'
import type { BackendContext } from '../context'
import { announceDashboardChange } from '../dashboard/live'
import type { Trx } from '../db/connect'
import type { RefundTable } from '../db/schema'
import { inTransaction, type AfterCommit } from '../db/transaction'
import { ApiError } from '../http/errors'
import { appendStreamMessage, deviceOfCourier } from '../stream/messages'

const CLAIM_MS = 30_000
const BATCH = 20

/** Tells the order's courier (their current device) how the refund stands; the terminal counts refunds paid. */
async function announceRefund(
  context: BackendContext,
  trx: Trx,
  after: AfterCommit,
  refund: RefundTable,
): Promise<void> {
  await announceDashboardChange(context, trx, after, refund.depot_id)
  const order = await trx.selectFrom('orders').select('courier_id').where('id', '=', refund.order_id).executeTakeFirst()
  const target = order ? await deviceOfCourier(trx, order.courier_id) : null
  if (!target) return
  await appendStreamMessage(context, trx, after, target, 'refund', {
    orderId: refund.order_id,
    intentId: refund.intent_id,
    refundNo: refund.refund_no,
    amountFen: refund.amount_fen,
    status: refund.status,
  })
}

/**
 * Applies what the acquirer says of a refund, in the caller's transaction: accepted (`processing`), succeeded (the
 * intent's state becomes refunded in part or in full, and a flag it repaid in full is resolved) or failed (shown,
 * and can be retried). A refund already at that state changes nothing.
 */
export async function applyRefundResult(
  context: BackendContext,
  trx: Trx,
  after: AfterCommit,
  refundNo: string,
  result: { status: AcquirerRefundRecord['status']; failure: string | null; attempts?: number },
): Promise<void> {
  const now = context.now()
  const refund = await trx
    .selectFrom('refunds')
    .selectAll()
    .where('refund_no', '=', refundNo)
    .$if(context.database.kind === 'postgres', (query) => query.forUpdate())
    .executeTakeFirst()
  if (!refund || refund.status === 'succeeded' || refund.status === result.status) return
  const settled = result.status !== 'processing'
  const updated = await trx
    .updateTable('refunds')
    .set({
      status: result.status,
      failure: result.status === 'failed' ? (result.failure ?? 'failed') : null,
      attempts: result.attempts ?? refund.attempts,
      updated_ms: now,
      settled_ms: settled ? now : null,
      next_check_ms: settled ? null : now + context.config.refunds.queryAfterMs,
      claimed_until_ms: null,
      last_error: null,
    })
    .where('refund_no', '=', refundNo)
    .returningAll()
    .executeTakeFirstOrThrow()
  if (result.status === 'succeeded') {
    await markRefundState(trx, refund.intent_id, now)
    if (refund.flag_id) {
      await trx
        .updateTable('flags')
        .set({ resolved_ms: now })
        .where('id', '=', refund.flag_id)
        .where('resolved_ms', 'is', null)
        .execute()
    }
  }
  await announceRefund(context, trx, after, updated)
}

/**
 * A signed `refund.*` notification, inside the webhook's transaction. Success is final at the acquirer and is
 * applied as it comes; a failure is confirmed by the query first (a failure of an earlier attempt, delivered late,
 * must not undo a retry under way). False when no refund has that number.
 */
export async function applyRefundNotification(
  context: BackendContext,
  trx: Trx,
  after: AfterCommit,
  notification: AcquirerNotification,
): Promise<boolean> {
  if (!notification.refundNo) return false
  const known = await trx
    .selectFrom('refunds')
    .select('refund_no')
    .where('refund_no', '=', notification.refundNo)
    .executeTakeFirst()
  if (!known) return false
  if (notification.type === 'refund.succeeded') {
    await applyRefundResult(context, trx, after, notification.refundNo, { status: 'succeeded', failure: null })
  } else {
    await trx
      .updateTable('refunds')
      .set({ next_check_ms: context.now(), claimed_until_ms: null })
      .where('refund_no', '=', notification.refundNo)
      .where('status', 'in', ['processing', 'requested'])
      .execute()
    after(() => context.wakeClosure())
  }
  return true
}

/**
 * Takes each refund to its result: one approved (or automatic) is asked of the acquirer under its number; one
 * accepted with no result yet is queried after `queryAfterMs`, backing off. A refusal (more than is left to
 * refund, say) is its failure; no answer is retried, as the same number is always safe to send again.
 */
export function startRefundWorker(context: BackendContext): BackgroundLoop & { drain(): Promise<number> } {
  const retryLater = (refund: RefundTable, error: unknown): Promise<unknown> => {
    const backoff = Math.min(context.config.refunds.retryMaxMs, 1_000 * 2 ** Math.min(refund.attempts + 1, 16))
    return context.db
      .updateTable('refunds')
      .set({
        next_check_ms: context.now() + backoff,
        claimed_until_ms: null,
        last_error: error instanceof Error ? error.message.slice(0, 500) : String(error),
      })
      .where('refund_no', '=', refund.refund_no)
      .execute()
  }

  const work = async (refund: RefundTable): Promise<void> => {
    let record: AcquirerRefundRecord
    try {
      record =
        refund.status === 'requested'
          ? await context.acquirer.createRefund({
              refundNo: refund.refund_no,
              transactionId: refund.transaction_id,
              amountFen: refund.amount_fen,
              notifyUrl: `${context.publicUrl()}${API_PREFIX}/acquirer/notifications`,
            })
          : await context.acquirer.getRefund(refund.refund_no)
    } catch (error) {
      if (error instanceof ApiError && error.code === 'acquirer.refused' && refund.status === 'requested') {
        // The acquirer said no to the request itself (more than is left, an unknown payment): that is the result.
        await inTransaction(context.database, context.log, (trx, after) =>
          applyRefundResult(context, trx, after, refund.refund_no, {
            status: 'failed',
            failure: String(error.details.acquirerCode ?? 'refused'),
          }),
        )
        return
      }
      await retryLater(refund, error)
      return
    }
    await inTransaction(context.database, context.log, async (trx, after) => {
      await applyRefundResult(context, trx, after, refund.refund_no, record)
      // Still processing when asked: ask again later, less often each time.
      await trx
        .updateTable('refunds')
        .set({ claimed_until_ms: null })
        .where('refund_no', '=', refund.refund_no)
        .execute()
    })
    if (record.status === 'processing' && refund.status === 'processing') {
      await context.db
        .updateTable('refunds')
        .set({
          next_check_ms:
            context.now() + Math.min(context.config.refunds.retryMaxMs, context.config.refunds.queryAfterMs * 2),
        })
        .where('refund_no', '=', refund.refund_no)
        .where('status', '=', 'processing')
        .execute()
    }
  }

  // Without a deadline (tests, `drain()`) it works through everything due; a pass stops at its slice.
  const drain = async (deadline = Number.POSITIVE_INFINITY): Promise<number> => {
    let done = 0
    for (let batch = 0; ; batch++) {
      if (batch > 0 && pastDeadline(deadline)) return done
      const now = context.now()
      const due = await context.db
        .selectFrom('refunds')
        .selectAll()
        .where('status', 'in', ['requested', 'processing'])
        .where('next_check_ms', '<=', now)
        .where((eb) => eb.or([eb('claimed_until_ms', 'is', null), eb('claimed_until_ms', '<', now)]))
        .orderBy('next_check_ms')
        .limit(BATCH)
        .execute()
      if (due.length === 0) return done
      let progressed = false
      for (const refund of due) {
        const claimed = await context.db
          .updateTable('refunds')
          .set({ claimed_until_ms: now + CLAIM_MS })
          .where('refund_no', '=', refund.refund_no)
          .where((eb) => eb.or([eb('claimed_until_ms', 'is', null), eb('claimed_until_ms', '<', now)]))
          .executeTakeFirst()
        if (Number(claimed.numUpdatedRows) === 0) continue
        await work(refund).catch((error: unknown) => retryLater(refund, error))
        done++
        progressed = true
      }
      if (!progressed) return done
    }
  }

  const loop = startBackgroundLoop(
    context.log,
    'refund worker pass failed',
    context.config.refunds.pollMs,
    slicedPass(drain, () => context.config.refunds.pollMs),
    context.listening,
  )
  return { ...loop, drain }
}
