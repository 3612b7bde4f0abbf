import { randomInt } from 'node:crypto'
import type { AcquirerChargeRecord } from '../../shared/api/acquirer'
import type { ChargeResponse } from '../../shared/api/charges'
import { API_PREFIX } from '../../shared/api/common'
import { INTENT_ALREADY_PAID } from '../../shared/api/intents'
import { looksLikePaymentCode, maskPaymentCode } from '../../shared/payment-code'
import { recordAcquirerPayment } from '../acquirer/payments'
import type { BackendContext } from '../context'
import type { ChargeTable, OrderTable, PaymentIntentTable } from '../db/schema'
import { inTransaction } from '../db/transaction'
import { ApiError, badRequest, conflict } from '../http/errors'
import { refreshCoalesced } from '../intents/coalesce'
import { announceCharge, chargeNoFor, chargeView, codeHash, finishCharge, isFinalCharge, lockCharge } from './store'

/**
 * The next query of a charge neither paid nor failed: 3 to 5 s on, as WeChat Pay and Alipay ask merchants to. The
 * worker finds a due charge up to one tick (`pollMs`) late, so the wait is drawn short of the maximum by a tick:
 * the gap the acquirer sees stays within [queryMinMs, queryMaxMs].
 */
export function nextQueryAt(context: Pick<BackendContext, 'config' | 'now'>): number {
  const { queryMinMs, queryMaxMs, pollMs } = context.config.charge
  const top = Math.max(queryMinMs, queryMaxMs - pollMs)
  return context.now() + queryMinMs + randomInt(0, top - queryMinMs + 1)
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/**
 * Applies what the acquirer says of a charge (its answer to the charge, a query, a revoke) in one transaction: a
 * payment is recorded as every payment is (`recordAcquirerPayment`, which finishes the charge), a failure or a
 * revoke finishes it, and "user paying" schedules the next query. A charge already final changes nothing.
 */
export async function applyChargeRecord(
  context: BackendContext,
  chargeNo: string,
  record: AcquirerChargeRecord,
): Promise<ChargeTable> {
  return inTransaction(context.database, context.log, async (trx, after) => {
    const charge = await lockCharge(context, trx, chargeNo)
    if (!charge) throw new Error(`charge ${chargeNo} vanished`)
    if (record.status === 'paid' && record.transactionId && record.paidAt) {
      // Recorded even when the charge is final: a revoked charge's late payment is refunded there.
      await recordAcquirerPayment(context, trx, after, {
        intentId: charge.intent_id,
        transactionId: record.transactionId,
        amountFen: record.amountFen,
        paidAt: record.paidAt,
        outcome: 'succeeded',
        source: 'charge',
        chargeNo,
      })
    } else if (!isFinalCharge(charge.status)) {
      const now = context.now()
      if (record.status === 'failed') {
        await finishCharge(context, trx, after, chargeNo, {
          status: 'failed',
          failure: record.failure ?? 'refused',
          limitFen: record.limitFen,
        })
      } else if (record.status === 'revoked') {
        await finishCharge(context, trx, after, chargeNo, { status: 'revoked' })
      } else {
        const updated = await trx
          .updateTable('charges')
          .set({
            status: 'user_paying',
            updated_ms: now,
            next_query_ms: now >= charge.deadline_ms ? now : Math.min(nextQueryAt(context), charge.deadline_ms),
            claimed_until_ms: null,
            last_error: null,
          })
          .where('charge_no', '=', chargeNo)
          .returningAll()
          .executeTakeFirstOrThrow()
        if (charge.status !== 'user_paying') await announceCharge(context, trx, after, updated)
      }
    }
    return (await lockCharge(context, trx, chargeNo))!
  })
}

/** No answer to the charge (a timeout, the acquirer down): not a failure. The outcome is asked for at once. */
async function markUnknown(context: BackendContext, chargeNo: string, error: unknown): Promise<void> {
  await inTransaction(context.database, context.log, async (trx, after) => {
    const now = context.now()
    const updated = await trx
      .updateTable('charges')
      .set({
        status: 'unknown',
        updated_ms: now,
        next_query_ms: now,
        claimed_until_ms: null,
        last_error: error instanceof Error ? error.message.slice(0, 500) : String(error),
      })
      .where('charge_no', '=', chargeNo)
      .where('final_ms', 'is', null)
      .where('status', '=', 'sending')
      .returningAll()
      .executeTakeFirst()
    if (updated) await announceCharge(context, trx, after, updated)
  })
  context.wakeClosure()
}

export interface OwnIntent {
  intent: PaymentIntentTable
  order: OrderTable
  deviceId: string
  shiftId: string
}

/**
 * The courier scanned the customer's payment code for this intent's order (`shared/api/charges.ts`). The same
 * code again answers the same charge; the QR paid a moment ago (its notification late) is found first, so the
 * customer is not charged twice; the charge is recorded before the acquirer is called, so a crash in between is
 * finished by the worker's query and revoke.
 */
export async function chargeCode(context: BackendContext, own: OwnIntent, code: string): Promise<ChargeResponse> {
  const authCode = code.trim()
  if (!looksLikePaymentCode(authCode)) {
    throw badRequest('charge.bad_code', "not a wallet's payment code: it is all digits, with a wallet's prefix")
  }
  const { order } = own
  let intent = own.intent
  if (order.status !== 'pending') {
    throw conflict('order.closed', `the order is ${order.status}; it takes no new payment`)
  }
  const now = context.now()
  const hash = codeHash(authCode)
  const same = await context.db
    .selectFrom('charges')
    .selectAll()
    .where('intent_id', '=', intent.id)
    .where('code_hash', '=', hash)
    .executeTakeFirst()
  if (same) return chargeView(same)
  if (intent.status === 'paid') {
    throw conflict(INTENT_ALREADY_PAID, 'this intent is paid')
  }
  if (intent.status !== 'pending' || intent.expires_ms <= now) {
    throw conflict('intent.not_payable', 'this intent can no longer be paid; renew it first')
  }
  const open = await context.db
    .selectFrom('charges')
    .select('charge_no')
    .where('intent_id', '=', intent.id)
    .where('final_ms', 'is', null)
    .executeTakeFirst()
  if (open) {
    throw conflict('charge.in_progress', 'another code is being charged for this order', {
      chargeNo: open.charge_no,
    })
  }
  // The QR may have been paid a moment ago, its notification still on the way: ask before charging a second time.
  intent = await refreshCoalesced(context, intent).catch(() => intent)
  if (intent.status === 'paid') {
    throw conflict(INTENT_ALREADY_PAID, 'this intent was paid through its QR')
  }

  const { answerTimeoutMs, queryForMs } = context.config.charge
  let charge: ChargeTable
  try {
    charge = await inTransaction(context.database, context.log, async (trx) => {
      const { count } = await trx
        .selectFrom('charges')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('intent_id', '=', intent.id)
        .executeTakeFirstOrThrow()
      const row: ChargeTable = {
        charge_no: chargeNoFor(intent.id, Number(count) + 1),
        intent_id: intent.id,
        order_id: order.id,
        depot_id: order.depot_id,
        device_id: own.deviceId,
        shift_id: own.shiftId,
        code_hash: hash,
        code_masked: maskPaymentCode(authCode),
        amount_fen: intent.amount_fen,
        status: 'sending',
        failure: null,
        limit_fen: null,
        transaction_id: null,
        paid_at: null,
        created_ms: now,
        updated_ms: now,
        deadline_ms: now + queryForMs,
        // Held by this request while it waits for the answer; the worker asks if the request dies meanwhile.
        next_query_ms: now + answerTimeoutMs,
        queries: 0,
        claimed_until_ms: now + answerTimeoutMs + 2_000,
        last_error: null,
        final_ms: null,
      }
      await trx.insertInto('charges').values(row).execute()
      return row
    })
  } catch (error) {
    if (!isUniqueViolation(error)) throw error
    // The same scan arrived twice at once, or two codes raced: one charge stands.
    const raced = await context.db
      .selectFrom('charges')
      .selectAll()
      .where('intent_id', '=', intent.id)
      .where('code_hash', '=', hash)
      .executeTakeFirst()
    if (raced) return chargeView(raced)
    throw conflict('charge.in_progress', 'another code is being charged for this order')
  }

  let record: AcquirerChargeRecord
  try {
    record = await context.acquirer.createCharge(
      {
        chargeNo: charge.charge_no,
        intentId: intent.id,
        authCode,
        amountFen: intent.amount_fen,
        notifyUrl: `${context.publicUrl()}${API_PREFIX}/acquirer/notifications`,
      },
      answerTimeoutMs,
    )
  } catch (error) {
    if (error instanceof ApiError && error.code === 'acquirer.refused') {
      // The acquirer looked at the request and said no (not "no answer"): that is final.
      await inTransaction(context.database, context.log, (trx, after) =>
        finishCharge(context, trx, after, charge.charge_no, { status: 'failed', failure: 'refused', limitFen: null }),
      )
    } else {
      await markUnknown(context, charge.charge_no, error)
    }
    return chargeView(
      (await context.db
        .selectFrom('charges')
        .selectAll()
        .where('charge_no', '=', charge.charge_no)
        .executeTakeFirst())!,
    )
  }
  return chargeView(await applyChargeRecord(context, charge.charge_no, record))
}
