import { INTENT_ALREADY_PAID } from '../../shared/api/intents'
import type { BackendContext } from '../context'
import type { OrderTable, PaymentIntentTable } from '../db/schema'
import { inTransaction } from '../db/transaction'
import { ApiError, conflict, unprocessable } from '../http/errors'
import { intentKey, isUniqueViolation, newIntentRow, openAcquirerIntent } from './service'
import { queueWithdrawals } from './withdrawals'

function refuseClosed(order: Pick<OrderTable, 'status'>): void {
  if (order.status !== 'pending') {
    throw conflict('order.closed', `the order is ${order.status}; it takes no new payment`)
  }
}

async function storedPart(
  context: BackendContext,
  orderId: string,
  splitKey: string,
): Promise<PaymentIntentTable | undefined> {
  return context.db
    .selectFrom('payment_intents')
    .selectAll()
    .where('order_id', '=', orderId)
    .where('split_key', '=', splitKey)
    .executeTakeFirst()
}

function samePart(part: PaymentIntentTable, digitalFen: number): PaymentIntentTable {
  if (part.amount_fen !== digitalFen) {
    throw conflict('split.key_reused', 'this split key was used for another digital part; make a new key')
  }
  return part
}

/**
 * Opens a split payment for the order: an intent for the digital part only (the rest is taken in cash), made
 * with the acquirer under a key derived from the device's split key, so a retry answers the same intent. In the
 * transaction that stores it, every other open intent of the order (the whole-amount one made ahead, an earlier
 * split's part) is cancelled and queued for withdrawal at the acquirer, so none stays payable for the whole;
 * a payment that still lands on one is recorded and flagged as a second payment, never merged.
 */
export async function splitIntent(
  context: BackendContext,
  order: OrderTable,
  deviceId: string,
  request: { digitalFen: number; splitKey: string },
): Promise<PaymentIntentTable> {
  const { digitalFen, splitKey } = request
  const known = await storedPart(context, order.id, splitKey)
  if (known) return samePart(known, digitalFen)
  refuseClosed(order)
  if (digitalFen <= 0 || digitalFen >= order.cod_fen) {
    throw unprocessable(
      'split.bad_amount',
      'the digital part must be at least ¥0.01 and less than the amount due; the rest is taken in cash',
    )
  }
  const intents = await context.db
    .selectFrom('payment_intents')
    .select(['status', 'attempt'])
    .where('order_id', '=', order.id)
    .execute()
  if (intents.some((intent) => intent.status === 'paid')) {
    throw conflict(INTENT_ALREADY_PAID, 'the order was paid; there is nothing left to split')
  }

  // The part is the order's next attempt at the acquirer. An attempt its key already names for another amount (a
  // split whose answer was lost before it was stored here, then asked for again with another part) is left for the
  // withdrawal below and the next one taken.
  let attempt = Math.max(order.intent_attempts, ...intents.map((intent) => intent.attempt)) + 1
  let created = await openAcquirerIntent(context, order, deviceId, intentKey(order.id, attempt), digitalFen)
  for (let tries = 0; created.amountFen !== digitalFen; tries++) {
    await context.acquirer.cancelIntent(created.intentId).catch(() => undefined)
    if (tries >= 2) {
      throw new ApiError(
        502,
        'acquirer.bad_response',
        `the acquirer made intent ${created.intentId} for another amount`,
      )
    }
    attempt++
    created = await openAcquirerIntent(context, order, deviceId, intentKey(order.id, attempt), digitalFen)
  }
  try {
    await inTransaction(context.database, context.log, async (trx, after) => {
      const now = context.now()
      // The order's row first, as every writer takes it (see recordAcquirerPayment).
      const current = await trx
        .selectFrom('orders')
        .select('status')
        .where('id', '=', order.id)
        .$if(context.database.kind === 'postgres', (query) => query.forUpdate())
        .executeTakeFirstOrThrow()
      refuseClosed(current)
      const paid = await trx
        .selectFrom('payment_intents')
        .select('id')
        .where('order_id', '=', order.id)
        .where('status', '=', 'paid')
        .executeTakeFirst()
      if (paid) throw conflict(INTENT_ALREADY_PAID, 'the order was paid; there is nothing left to split')
      const closed = await trx
        .updateTable('payment_intents')
        .set({ status: 'cancelled' })
        .where('order_id', '=', order.id)
        .where('status', '=', 'pending')
        .returning(['id', 'depot_id'])
        .execute()
      await queueWithdrawals(
        trx,
        closed.map((intent) => ({ intentId: intent.id, depotId: intent.depot_id })),
        now,
      )
      await trx
        .updateTable('orders')
        .set({ intent_attempts: attempt })
        .where('id', '=', order.id)
        .where('intent_attempts', '<', attempt)
        .execute()
      await trx
        .insertInto('payment_intents')
        .values({ ...newIntentRow(order, created, attempt, deviceId, now), split_key: splitKey })
        .execute()
      if (closed.length > 0) after(() => context.wakeWithdrawals())
    })
  } catch (error) {
    if (error instanceof ApiError) {
      // Refused after the acquirer made the part (the order closed or was paid meanwhile): it must not stay open
      // there with no row here to settle it.
      await context.acquirer.cancelIntent(created.intentId).catch((failure: unknown) => {
        context.log.warn({ err: failure, intentId: created.intentId }, 'could not withdraw a refused split part')
      })
      throw error
    }
    // A concurrent retry of the same split stored it first: that one stands. Another split of the order stored
    // first under the same attempt: this one is refused, and the courier's terminal asks again.
    if (!isUniqueViolation(error)) throw error
    const raced = await storedPart(context, order.id, splitKey)
    if (!raced) throw conflict('split.in_progress', 'another split of this order was being opened; try again')
    return samePart(raced, digitalFen)
  }
  return (await storedPart(context, order.id, splitKey))!
}
