import type { Trx } from '../db/connect'
import type { RefundTable } from '../db/schema'

/** The refund number for a flag a supervisor approved: every retry of that approval reuses it. */
export const refundNoOfFlag = (flagId: string): string => `rf_${flagId}`
/** The refund number for the late payment of a revoked charge: refunded by itself, once. */
export const refundNoOfRevokedCharge = (chargeNo: string): string => `rf_rev_${chargeNo.slice('chg_'.length)}`

/**
 * Records a refund to make (approved, or automatic), inside the caller's transaction, under its derived number: the
 * same number again changes nothing. The refund worker asks the acquirer for it after the commit.
 */
export async function recordRefund(
  trx: Trx,
  refund: Omit<
    RefundTable,
    | 'status'
    | 'failure'
    | 'attempts'
    | 'updated_ms'
    | 'settled_ms'
    | 'claimed_until_ms'
    | 'last_error'
    | 'next_check_ms'
  >,
): Promise<boolean> {
  const inserted = await trx
    .insertInto('refunds')
    .values({
      ...refund,
      status: 'requested',
      failure: null,
      attempts: 0,
      updated_ms: refund.created_ms,
      settled_ms: null,
      next_check_ms: refund.created_ms,
      claimed_until_ms: null,
      last_error: null,
    })
    .onConflict((c) => c.column('refund_no').doNothing())
    .executeTakeFirst()
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0
}
