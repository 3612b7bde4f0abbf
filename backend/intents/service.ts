import type { PaymentIntent } from '../../shared/api/shift'
import { INTENT_ALREADY_PAID } from '../../shared/api/intents'
import type { AcquirerIntentRecord } from '../../shared/api/acquirer'
import { API_PREFIX } from '../../shared/api/common'
import { recordAcquirerPayment } from '../acquirer/payments'
import { markIntentFinal } from '../closure/final'
import type { BackendContext } from '../context'
import type { OrderTable, PaymentIntentTable } from '../db/schema'
import { inTransaction } from '../db/transaction'
import { ApiError, conflict } from '../http/errors'

/** The intent as the device sees it; a pending intent past its expiry reads as expired. */
export function toPaymentIntent(row: PaymentIntentTable, nowMs: number): PaymentIntent {
  return {
    intentId: row.id,
    orderId: row.order_id,
    attempt: row.attempt,
    amountFen: row.amount_fen,
    qrPayload: row.qr_payload,
    status: row.status === 'pending' && row.expires_ms <= nowMs ? 'expired' : row.status,
    expiresAt: row.expires_at,
    paidAt: row.paid_at,
    transactionId: row.transaction_id,
  }
}

/** The acquirer's key for an order's n-th intent: a retry with the same key never creates a second one. */
export const intentKey = (orderId: string, attempt: number): string => `cod:${orderId}:${attempt}`

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

async function latestIntent(context: BackendContext, orderId: string): Promise<PaymentIntentTable | undefined> {
  return context.db
    .selectFrom('payment_intents')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('attempt', 'desc')
    .limit(1)
    .executeTakeFirst()
}

type OrderForIntent = Pick<OrderTable, 'id' | 'depot_id' | 'cod_fen' | 'waybill' | 'intent_attempts'>

/**
 * Asks the acquirer for an intent under `key` (a repeat of the key answers the same intent) for `amountFen` of
 * the order, with the depot's merchant name and city and the configured lifetime. Call outside any transaction.
 */
/** The row that stores an intent the acquirer just opened for an order (the whole amount, or a split's part). */
export function newIntentRow(
  order: Pick<OrderTable, 'id' | 'depot_id'>,
  created: Awaited<ReturnType<typeof openAcquirerIntent>>,
  attempt: number,
  deviceId: string,
  now: number,
): Omit<PaymentIntentTable, 'final_state' | 'final_ms' | 'split_key'> {
  return {
    id: created.intentId,
    order_id: order.id,
    depot_id: order.depot_id,
    attempt,
    acquirer_key: created.key,
    amount_fen: created.amountFen,
    qr_payload: created.qrPayload,
    status: created.status === 'pending' ? 'pending' : created.status,
    expires_at: created.expiresAt,
    expires_ms: Date.parse(created.expiresAt),
    paid_at: null,
    transaction_id: null,
    device_id: deviceId,
    created_at: new Date(now).toISOString(),
    checked_ms: now,
  }
}

export async function openAcquirerIntent(
  context: BackendContext,
  order: Pick<OrderTable, 'depot_id' | 'waybill'>,
  deviceId: string,
  key: string,
  amountFen: number,
) {
  const depot = await context.db
    .selectFrom('depots')
    .select(['merchant_name', 'merchant_city'])
    .where('id', '=', order.depot_id)
    .executeTakeFirstOrThrow()
  const expiresMs = context.now() + context.config.intentTtlMs
  return context.acquirer.createIntent({
    key,
    amountFen,
    merchantName: depot.merchant_name,
    merchantCity: depot.merchant_city,
    waybill: order.waybill,
    deviceId,
    expiresAt: new Date(expiresMs).toISOString(),
    notifyUrl: `${context.publicUrl()}${API_PREFIX}/acquirer/notifications`,
  })
}

/**
 * Creates the order's next intent with the acquirer and stores it. The acquirer call happens outside any
 * transaction; its key makes a repeat harmless, and a concurrent creator of the same attempt ends with the
 * same row.
 */
async function createNextIntent(
  context: BackendContext,
  order: OrderForIntent,
  deviceId: string,
  attempt: number,
): Promise<PaymentIntentTable> {
  const created = await openAcquirerIntent(context, order, deviceId, intentKey(order.id, attempt), order.cod_fen)
  if (created.amountFen !== order.cod_fen) {
    throw new ApiError(502, 'acquirer.bad_response', `the acquirer made intent ${created.intentId} for another amount`)
  }
  try {
    await inTransaction(context.database, context.log, async (trx) => {
      const now = context.now()
      // The order's row first, as every writer takes it (see recordAcquirerPayment).
      await trx
        .updateTable('orders')
        .set({ intent_attempts: attempt })
        .where('id', '=', order.id)
        .where('intent_attempts', '<', attempt)
        .execute()
      // An expired intent stops counting as the order's open one before its successor is stored.
      await trx
        .updateTable('payment_intents')
        .set({ status: 'expired' })
        .where('order_id', '=', order.id)
        .where('status', '=', 'pending')
        .where('expires_ms', '<=', now)
        .execute()
      await trx
        .insertInto('payment_intents')
        .values(newIntentRow(order, created, attempt, deviceId, now))
        .onConflict((c) => c.column('acquirer_key').doNothing())
        .execute()
    })
  } catch (error) {
    // Another request opened a different intent for this order meanwhile: that one stands.
    if (!isUniqueViolation(error)) throw error
  }
  const stored = await latestIntent(context, order.id)
  if (!stored) throw new Error(`intent for ${order.id} vanished`)
  return stored
}

/**
 * The order's payable intent, created ahead when it has none: a pending unexpired intent or a paid one is
 * kept; otherwise the next attempt is created with the acquirer. Null for prepaid orders.
 */
export async function ensureOrderIntent(
  context: BackendContext,
  order: OrderForIntent & Pick<OrderTable, 'status'>,
  deviceId: string,
  existing?: PaymentIntentTable,
): Promise<PaymentIntentTable | null> {
  if (order.cod_fen === 0) return null
  const current = existing ?? (await latestIntent(context, order.id))
  if (order.status !== 'pending') return current ?? null
  if (current && (current.status === 'paid' || (current.status === 'pending' && current.expires_ms > context.now()))) {
    return current
  }
  if (current && current.status === 'pending') {
    // Expired here; ask the acquirer first, in case it was paid and the notification is still on its way.
    const refreshed = await refreshIntent(context, current)
    if (refreshed.status === 'paid') return refreshed
  }
  return createNextIntent(context, order, deviceId, Math.max(order.intent_attempts, current?.attempt ?? 0) + 1)
}

/** Applies the acquirer's view of an intent: a payment it holds is recorded as if its notification arrived. */
export async function applyAcquirerRecord(
  context: BackendContext,
  record: AcquirerIntentRecord,
): Promise<PaymentIntentTable> {
  await inTransaction(context.database, context.log, async (trx, after) => {
    for (const payment of record.payments) {
      await recordAcquirerPayment(context, trx, after, {
        intentId: record.intentId,
        transactionId: payment.transactionId,
        amountFen: payment.amountFen,
        paidAt: payment.paidAt,
        outcome: payment.outcome,
        source: 'query',
        chargeNo: payment.chargeNo ?? null,
      })
    }
    // The acquirer's word closes the intent: paid, or it can no longer be paid.
    if (record.status === 'cancelled' || record.status === 'expired' || record.status === 'paid') {
      await markIntentFinal(trx, record.intentId, record.status, context.now())
    }
    if (record.status === 'cancelled') {
      await trx
        .updateTable('payment_intents')
        .set({ status: 'cancelled' })
        .where('id', '=', record.intentId)
        .where('status', 'in', ['pending', 'expired'])
        .execute()
    }
    await trx
      .updateTable('payment_intents')
      .set({ checked_ms: context.now() })
      .where('id', '=', record.intentId)
      .execute()
  })
  return context.db
    .selectFrom('payment_intents')
    .selectAll()
    .where('id', '=', record.intentId)
    .executeTakeFirstOrThrow()
}

/** Asks the acquirer about an intent (the query API) and applies what it says. */
export async function refreshIntent(context: BackendContext, intent: PaymentIntentTable): Promise<PaymentIntentTable> {
  return applyAcquirerRecord(context, await context.acquirer.getIntent(intent.id))
}

/**
 * A new intent for the order after the old one expired or was cancelled (new ID, new QR). Renewing an intent
 * that was already renewed answers the open successor; a paid order is 409 `intent.already_paid`, and a
 * still-payable intent 409 `intent.not_expired`.
 */
export async function renewIntent(
  context: BackendContext,
  intent: PaymentIntentTable,
  order: OrderTable,
  deviceId: string,
): Promise<PaymentIntentTable> {
  if (order.status !== 'pending') {
    throw conflict('order.closed', `the order is ${order.status}; it takes no new payment`)
  }
  let latest = (await latestIntent(context, order.id)) ?? intent
  const now = context.now()
  if (latest.status === 'pending' && latest.expires_ms > now) {
    if (latest.id !== intent.id) return latest
    throw conflict('intent.not_expired', `this intent can still be paid until ${intent.expires_at}`)
  }
  if (latest.status === 'pending') latest = await refreshIntent(context, latest)
  if (latest.status === 'paid') {
    // The paying intent is named only when it is another than the one asked about: nothing is echoed.
    throw conflict(INTENT_ALREADY_PAID, 'the order was paid', latest.id === intent.id ? {} : { paidThrough: latest.id })
  }
  return createNextIntent(context, order, deviceId, Math.max(order.intent_attempts, latest.attempt) + 1)
}

/**
 * Cancels an intent with the acquirer (the courier switched to cash). If the acquirer says it was paid first,
 * the payment is recorded and the answer is 409 `intent.already_paid`: the device treats the order as paid.
 */
export async function cancelIntent(context: BackendContext, intent: PaymentIntentTable): Promise<PaymentIntentTable> {
  if (intent.status === 'paid') {
    throw conflict(INTENT_ALREADY_PAID, 'this intent is paid')
  }
  if (intent.status === 'cancelled') return intent
  const record = await context.acquirer.cancelIntent(intent.id)
  const updated = await applyAcquirerRecord(context, record)
  if (updated.status === 'paid') {
    throw conflict(INTENT_ALREADY_PAID, 'this intent was paid before it could be cancelled')
  }
  if (updated.status !== 'cancelled') {
    // The acquirer had already expired it: it can no longer be paid, which is what cancelling is for.
    await context.db
      .updateTable('payment_intents')
      .set({ status: 'cancelled' })
      .where('id', '=', intent.id)
      .where('status', 'in', ['pending', 'expired'])
      .execute()
  }
  return context.db.selectFrom('payment_intents').selectAll().where('id', '=', intent.id).executeTakeFirstOrThrow()
}

/**
 * Tells the acquirer an intent is off (the backend already marked it cancelled: the order was cancelled,
 * reassigned or paid in cash). If the acquirer says it was paid first, that payment is recorded, and flagged
 * where it conflicts, exactly as if its notification had arrived.
 */
export async function withdrawIntent(context: BackendContext, intentId: string): Promise<void> {
  const record = await context.acquirer.cancelIntent(intentId)
  await applyAcquirerRecord(context, record)
}
