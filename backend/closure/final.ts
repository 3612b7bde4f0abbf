import { sql } from 'kysely'
import type { IntentFinalState } from '../../shared/api/closure'
import type { Trx } from '../db/connect'

/** The final states (null: none yet) that `state` may replace; the rule is in `markIntentFinal`'s comment. */
export function finalStatesReplacedBy(state: IntentFinalState): (IntentFinalState | null)[] {
  if (state === 'paid') return [null, 'cancelled', 'expired']
  if (state === 'cancelled' || state === 'expired') return [null]
  return [null, 'paid', 'partially_refunded', 'refunded']
}

/**
 * Records the final state the acquirer's word gave an intent, inside the caller's transaction. A payment is final
 * over anything but a refund (money that moved after a cancellation is still money); cancelled and expired only
 * close an intent that has none; a refund's state replaces "paid". `final_ms` keeps the first time it was final.
 */
export async function markIntentFinal(
  trx: Trx,
  intentId: string,
  state: IntentFinalState,
  nowMs: number,
): Promise<void> {
  const replaces = finalStatesReplacedBy(state)
  await trx
    .updateTable('payment_intents')
    .set({ final_state: state, final_ms: sql<number>`coalesce(final_ms, ${nowMs})` })
    .where('id', '=', intentId)
    .where((eb) =>
      eb.or([
        eb('final_state', 'is', null),
        ...replaces.filter((s): s is IntentFinalState => s !== null).map((s) => eb('final_state', '=', s)),
      ]),
    )
    .execute()
}

/**
 * An intent's state after its refunds: refunded when what succeeded covers what was paid, partially refunded when
 * some did; paid otherwise. Call after a refund reached its result.
 */
export async function markRefundState(trx: Trx, intentId: string, nowMs: number): Promise<void> {
  const paid = await trx
    .selectFrom('payments')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_fen'), eb.lit(0)).as('fen'))
    .where('intent_id', '=', intentId)
    .where('outcome', '=', 'succeeded')
    .executeTakeFirstOrThrow()
  const refunded = await trx
    .selectFrom('refunds')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_fen'), eb.lit(0)).as('fen'))
    .where('intent_id', '=', intentId)
    .where('status', '=', 'succeeded')
    .executeTakeFirstOrThrow()
  const paidFen = Number(paid.fen)
  const refundedFen = Number(refunded.fen)
  if (refundedFen === 0) return
  await markIntentFinal(trx, intentId, refundedFen >= paidFen ? 'refunded' : 'partially_refunded', nowMs)
}
