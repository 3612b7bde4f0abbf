import { createHash } from 'node:crypto'
import { FINAL_CHARGE_STATES, type ChargeResponse } from '../../shared/api/charges'
import type { ChargeFailure } from '../../shared/api/acquirer'
import type { BackendContext } from '../context'
import { announceDashboardChange } from '../dashboard/live'
import type { Trx } from '../db/connect'
import type { ChargeTable } from '../db/schema'
import type { AfterCommit } from '../db/transaction'
import { appendStreamMessage, deviceOfCourier } from '../stream/messages'

/** A code is kept only as its SHA-256: enough to know the same code scanned again is the same charge. */
export const codeHash = (code: string): string => createHash('sha256').update(code.trim()).digest('hex')

/** The merchant's charge number for an intent's n-th code: every retry of that code reuses it. */
export const chargeNoFor = (intentId: string, n: number): string => `chg_${intentId.slice('pi_'.length)}_${n}`

export const isFinalCharge = (status: ChargeTable['status']): boolean => FINAL_CHARGE_STATES.includes(status)

export function chargeView(row: ChargeTable): ChargeResponse {
  return {
    chargeNo: row.charge_no,
    intentId: row.intent_id,
    orderId: row.order_id,
    amountFen: row.amount_fen,
    status: row.status,
    failure: row.failure,
    limitFen: row.limit_fen,
    transactionId: row.transaction_id,
    paidAt: row.paid_at,
    deadlineAt: new Date(row.deadline_ms).toISOString(),
    code: row.code_masked,
  }
}

export async function lockCharge(
  context: Pick<BackendContext, 'database'>,
  trx: Trx,
  chargeNo: string,
): Promise<ChargeTable | undefined> {
  return trx
    .selectFrom('charges')
    .selectAll()
    .where('charge_no', '=', chargeNo)
    .$if(context.database.kind === 'postgres', (query) => query.forUpdate())
    .executeTakeFirst()
}

/** Tells the courier's device (its current one) how the charge stands, after the commit. */
export async function announceCharge(
  context: Pick<BackendContext, 'hub' | 'now'>,
  trx: Trx,
  after: AfterCommit,
  charge: ChargeTable,
): Promise<void> {
  const order = await trx.selectFrom('orders').select('courier_id').where('id', '=', charge.order_id).executeTakeFirst()
  const target = (order && (await deviceOfCourier(trx, order.courier_id))) ?? {
    deviceId: charge.device_id,
    depotId: charge.depot_id,
  }
  await appendStreamMessage(context, trx, after, target, 'charge', chargeView(charge))
}

export type ChargeOutcome =
  | { status: 'paid'; transactionId: string; paidAt: string }
  | { status: 'failed'; failure: ChargeFailure; limitFen: number | null }
  | { status: 'revoked' }

/**
 * Moves a charge that is not final yet to its final outcome and tells the device, inside the caller's transaction
 * (a paid one inside the payment's). False when it was final already: a repeat changes nothing.
 */
export async function finishCharge(
  context: Pick<BackendContext, 'hub' | 'now' | 'database'>,
  trx: Trx,
  after: AfterCommit,
  chargeNo: string,
  outcome: ChargeOutcome,
): Promise<boolean> {
  const now = context.now()
  const updated = await trx
    .updateTable('charges')
    .set({
      status: outcome.status,
      failure: outcome.status === 'failed' ? outcome.failure : null,
      limit_fen: outcome.status === 'failed' ? outcome.limitFen : null,
      transaction_id: outcome.status === 'paid' ? outcome.transactionId : null,
      paid_at: outcome.status === 'paid' ? outcome.paidAt : null,
      final_ms: now,
      updated_ms: now,
      next_query_ms: null,
      claimed_until_ms: null,
    })
    .where('charge_no', '=', chargeNo)
    .where('final_ms', 'is', null)
    .returningAll()
    .executeTakeFirst()
  if (!updated) return false
  await announceCharge(context, trx, after, updated)
  await announceDashboardChange(context, trx, after, updated.depot_id)
  return true
}
