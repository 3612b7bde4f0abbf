import type { BackendContext } from '../context'
import type { Trx } from '../db/connect'
import type { ChargeTable } from '../db/schema'
import type { AfterCommit } from '../db/transaction'
import { raiseFlag } from '../flags/store'
import { recordRefund, refundNoOfRevokedCharge } from '../refunds/store'
import { deviceOfCourier } from '../stream/messages'

/**
 * A customer's code was charged after its charge had been revoked (their PIN raced the revoke; the courier was
 * told "cancelled"): the money is recorded, flagged, and refunded by itself under a number derived from the
 * charge, never counted as the delivery's. Inside the transaction that recorded the payment.
 */
export async function refundPaymentAfterRevoke(
  context: Pick<BackendContext, 'hub' | 'now' | 'wakeClosure'>,
  trx: Trx,
  after: AfterCommit,
  charge: ChargeTable,
  payment: { transactionId: string; amountFen: number },
): Promise<void> {
  const now = context.now()
  const order = await trx
    .selectFrom('orders')
    .select('courier_id')
    .where('id', '=', charge.order_id)
    .executeTakeFirstOrThrow()
  await raiseFlag(
    context,
    trx,
    after,
    {
      depotId: charge.depot_id,
      orderId: charge.order_id,
      kind: 'payment_after_revoke',
      intentId: charge.intent_id,
      transactionId: payment.transactionId,
      amountFen: payment.amountFen,
      dedupeKey: payment.transactionId,
      note: `charge ${charge.charge_no} was ${charge.status}, then its payment landed: refunded by itself`,
    },
    (await deviceOfCourier(trx, order.courier_id)) ?? { deviceId: charge.device_id, depotId: charge.depot_id },
  )
  await recordRefund(trx, {
    refund_no: refundNoOfRevokedCharge(charge.charge_no),
    depot_id: charge.depot_id,
    order_id: charge.order_id,
    intent_id: charge.intent_id,
    transaction_id: payment.transactionId,
    flag_id: null,
    charge_no: charge.charge_no,
    kind: 'automatic',
    amount_fen: payment.amountFen,
    approved_by: null,
    note: 'paid after the charge was revoked',
    created_ms: now,
  })
  after(() => context.wakeClosure())
}
