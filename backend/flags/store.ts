import type { FlagKind } from '../../shared/api/stream'
import type { BackendContext } from '../context'
import { announceDashboardChange } from '../dashboard/live'
import type { Trx } from '../db/connect'
import type { AfterCommit } from '../db/transaction'
import { newId } from '../ids'
import { appendStreamMessage, type StreamTarget } from '../stream/messages'

export interface FlagInput {
  depotId: string
  orderId: string
  kind: FlagKind
  intentId: string | null
  transactionId: string | null
  amountFen: number
  /** What makes it the same flag again: processing the same facts twice never raises it twice. */
  dedupeKey: string
  note: string
}

/**
 * Records something the depot must put right (a refund, a payment that never arrived) and tells the courier's
 * device on its stream. Returns false when the same flag was already raised.
 */
export async function raiseFlag(
  context: Pick<BackendContext, 'hub' | 'now'>,
  trx: Trx,
  after: AfterCommit,
  flag: FlagInput,
  target: StreamTarget | null,
): Promise<boolean> {
  const inserted = await trx
    .insertInto('flags')
    .values({
      id: newId('flg'),
      depot_id: flag.depotId,
      order_id: flag.orderId,
      kind: flag.kind,
      intent_id: flag.intentId,
      transaction_id: flag.transactionId,
      amount_fen: flag.amountFen,
      dedupe_key: flag.dedupeKey,
      note: flag.note,
      created_ms: context.now(),
      resolved_ms: null,
    })
    .onConflict((conflict) => conflict.columns(['order_id', 'kind', 'dedupe_key']).doNothing())
    .executeTakeFirst()
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false
  await announceDashboardChange(context, trx, after, flag.depotId)
  if (target) {
    await appendStreamMessage(context, trx, after, target, 'flag', {
      orderId: flag.orderId,
      kind: flag.kind,
      intentId: flag.intentId,
      amountFen: flag.amountFen,
    })
  }
  return true
}

/** Marks open flags of a kind on an intent resolved, e.g. "never arrived" once the payment does arrive. */
export async function resolveFlags(trx: Trx, intentId: string, kind: FlagKind, nowMs: number): Promise<number> {
  const result = await trx
    .updateTable('flags')
    .set({ resolved_ms: nowMs })
    .where('intent_id', '=', intentId)
    .where('kind', '=', kind)
    .where('resolved_ms', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
