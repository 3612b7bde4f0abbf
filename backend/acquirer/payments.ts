import { refundPaymentAfterRevoke } from '../charges/late'
import { finishCharge } from '../charges/store'
import { finalStatesReplacedBy } from '../closure/final'
import type { BackendContext } from '../context'
import type { Trx } from '../db/connect'
import type { PaymentIntentTable } from '../db/schema'
import type { AfterCommit } from '../db/transaction'
import { announceDashboardChange } from '../dashboard/live'
import { summariseAcquirerPayment } from '../dashboard/summary'
import { raiseFlag, resolveFlags } from '../flags/store'
import { appendStreamMessage, deviceOfCourier, type StreamTarget } from '../stream/messages'

/** A payment as the acquirer states it, in a notification or in its query API's answer. */
export interface AcquirerPaymentFact {
  intentId: string
  transactionId: string
  amountFen: number
  paidAt: string
  outcome: 'succeeded' | 'refused_duplicate'
  source: 'notification' | 'query' | 'charge'
  /** The merchant's charge number, when the payment was taken by charging a customer's code. */
  chargeNo?: string | null
}

export type PaymentRecordResult =
  | { status: 'applied' }
  /** This transaction was already recorded: nothing changed. */
  | { status: 'known' }
  | {
      status: 'rejected'
      code: 'webhook.unknown_intent' | 'webhook.amount_mismatch' | 'webhook.unknown_refund'
      message: string
    }

type Context = Pick<BackendContext, 'hub' | 'now' | 'log' | 'database' | 'wakeClosure'>

/** Where messages about an order's payment go: its courier's current device, else the device it was made for. */
export async function paymentTarget(trx: Trx, intent: PaymentIntentTable, courierId: string): Promise<StreamTarget> {
  return (await deviceOfCourier(trx, courierId)) ?? { deviceId: intent.device_id, depotId: intent.depot_id }
}

/**
 * Records a payment the acquirer confirmed, the only way digital money is ever counted, inside the caller's
 * transaction. It marks the intent paid and pushes `payment` to the courier's device; it flags money to refund
 * (a payment after cash was taken, a second payment for one order) and settles any "paid, to be verified"
 * claim waiting on this intent. The same transaction recorded twice changes nothing.
 */
export async function recordAcquirerPayment(
  context: Context,
  trx: Trx,
  after: AfterCommit,
  fact: AcquirerPaymentFact,
): Promise<PaymentRecordResult> {
  const now = context.now()
  // Locks (PostgreSQL) in the order every writer takes them, the order's row and then its intent's: a cash
  // completion being ingested and this payment see each other (whichever commits second raises the flag), and
  // two deliveries for one intent apply one after the other. The order is found through the intent in the same
  // statement, one round trip fewer for a payment the courier is waiting on.
  const order = await trx
    .selectFrom('payment_intents')
    .innerJoin('orders', 'orders.id', 'payment_intents.order_id')
    .select([
      'orders.id',
      'orders.courier_id',
      'orders.depot_id',
      'orders.route_date',
      'orders.status',
      'orders.delivered_method',
      'orders.closed_ms',
    ])
    .where('payment_intents.id', '=', fact.intentId)
    .$if(context.database.kind === 'postgres', (query) => query.forUpdate('orders'))
    .executeTakeFirst()
  if (!order) {
    return { status: 'rejected', code: 'webhook.unknown_intent', message: `no intent ${fact.intentId}` }
  }
  const intent = await trx
    .updateTable('payment_intents')
    .set({ checked_ms: now })
    .where('id', '=', fact.intentId)
    .returningAll()
    .executeTakeFirstOrThrow()
  if (fact.outcome === 'succeeded' && fact.amountFen !== intent.amount_fen) {
    return {
      status: 'rejected',
      code: 'webhook.amount_mismatch',
      message: `intent ${intent.id} is for ${intent.amount_fen} fen, the notification says ${fact.amountFen}`,
    }
  }
  const paidMs = Date.parse(fact.paidAt)
  const inserted = await trx
    .insertInto('payments')
    .values({
      transaction_id: fact.transactionId,
      intent_id: intent.id,
      order_id: intent.order_id,
      depot_id: intent.depot_id,
      amount_fen: fact.amountFen,
      paid_at: fact.paidAt,
      paid_ms: paidMs,
      outcome: fact.outcome,
      source: fact.source,
      recorded_ms: now,
    })
    .onConflict((conflict) => conflict.column('transaction_id').doNothing())
    .executeTakeFirst()
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return { status: 'known' }
  const charge = fact.chargeNo
    ? await trx.selectFrom('charges').selectAll().where('charge_no', '=', fact.chargeNo).executeTakeFirst()
    : undefined
  if (charge && fact.outcome === 'succeeded' && (charge.status === 'revoked' || charge.status === 'failed')) {
    // The courier was told this charge was off: its money is not the delivery's, and goes back by itself.
    await refundPaymentAfterRevoke(context, trx, after, charge, fact)
    return { status: 'applied' }
  }
  if (charge && fact.outcome === 'succeeded') {
    await finishCharge(context, trx, after, charge.charge_no, {
      status: 'paid',
      transactionId: fact.transactionId,
      paidAt: fact.paidAt,
    })
  }
  if (fact.outcome === 'refused_duplicate') {
    context.log.warn({ event: 'payment.duplicate_attempt', intentId: intent.id }, 'acquirer refused a second payment')
    return { status: 'applied' }
  }

  const target = await paymentTarget(trx, intent, order.courier_id)
  const flag = (kind: 'late_payment_after_cash' | 'double_payment', note: string) =>
    raiseFlag(
      context,
      trx,
      after,
      {
        depotId: intent.depot_id,
        orderId: order.id,
        kind,
        intentId: intent.id,
        transactionId: fact.transactionId,
        amountFen: fact.amountFen,
        dedupeKey: fact.transactionId,
        note,
      },
      target,
    )

  if (intent.status !== 'paid') {
    // Final as well, in the same statement (`markIntentFinal`'s rule, judged on the row this transaction locked).
    const final = finalStatesReplacedBy('paid').includes(intent.final_state)
    await trx
      .updateTable('payment_intents')
      .set({
        status: 'paid',
        paid_at: fact.paidAt,
        transaction_id: fact.transactionId,
        ...(final ? { final_state: 'paid' as const, final_ms: intent.final_ms ?? now } : {}),
      })
      .where('id', '=', intent.id)
      .execute()
    await appendStreamMessage(context, trx, after, target, 'payment', {
      intentId: intent.id,
      orderId: order.id,
      status: 'paid',
      amountFen: fact.amountFen,
      paidAt: fact.paidAt,
      transactionId: fact.transactionId,
    })
  } else {
    await flag(
      'double_payment',
      `intent ${intent.id} was paid twice: ${intent.transaction_id} and ${fact.transactionId}`,
    )
  }

  const others = await trx
    .selectFrom('payments')
    .select('transaction_id')
    .where('order_id', '=', order.id)
    .where('outcome', '=', 'succeeded')
    .where('transaction_id', '!=', fact.transactionId)
    .where('intent_id', '!=', intent.id)
    // A revoked charge's late payment is refunded by itself: it is not a second payment for the depot to repay.
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('refunds')
            .select('refund_no')
            .whereRef('refunds.transaction_id', '=', 'payments.transaction_id')
            .where('refunds.kind', '=', 'automatic'),
        ),
      ),
    )
    .execute()
  if (others.length > 0) {
    await flag('double_payment', `order already paid by ${others.map((o) => o.transaction_id).join(', ')}`)
  }
  await summariseAcquirerPayment(context, trx, after, {
    order,
    amountFen: fact.amountFen,
    firstForOrder: intent.status !== 'paid' && others.length === 0,
  })
  if (order.delivered_method === 'split' && order.closed_ms !== null && intent.split_key === null && !others.length) {
    // The whole-amount QR paid after the courier took a split (part digital, the rest in cash): money to refund.
    await flag('double_payment', 'paid the whole amount after a split payment was taken')
  }
  if (order.delivered_method === 'cash' && order.closed_ms !== null) {
    if (paidMs >= order.closed_ms) await flag('late_payment_after_cash', 'paid digitally after cash was taken')
    else await flag('double_payment', 'paid digitally, then cash was taken as well')
  }

  await settleWaitingClaim(context, trx, after, intent.id, {
    verdict: 'verified',
    transactionId: fact.transactionId,
    amountFen: fact.amountFen,
  })
  return { status: 'applied' }
}

/**
 * Gives the verdict on a device's claim about an intent (a "paid, to be verified", or a confirmation the
 * backend had not seen), if one is waiting or was judged "not found" too early, and tells the device.
 */
export async function settleWaitingClaim(
  context: Pick<BackendContext, 'hub' | 'now' | 'database'>,
  trx: Trx,
  after: AfterCommit,
  intentId: string,
  outcome: { verdict: 'verified' | 'not_found'; transactionId: string | null; amountFen: number | null },
): Promise<void> {
  const settlement = await trx
    .selectFrom('settlements')
    .selectAll()
    .where('intent_id', '=', intentId)
    .where('status', 'in', outcome.verdict === 'verified' ? ['pending', 'not_found'] : ['pending'])
    // Locked (PostgreSQL): a verdict racing another sees the row only if it still waits for one.
    .$if(context.database.kind === 'postgres', (query) => query.forUpdate())
    .executeTakeFirst()
  if (!settlement) return
  const verdict =
    outcome.verdict === 'verified' && outcome.amountFen !== settlement.claimed_fen ? 'amount_mismatch' : outcome.verdict
  const now = context.now()
  await trx
    .updateTable('settlements')
    .set({ status: verdict, transaction_id: outcome.transactionId, settled_ms: now, claimed_until_ms: null })
    .where('id', '=', settlement.id)
    .execute()
  const target = { deviceId: settlement.device_id, depotId: settlement.depot_id }
  await announceDashboardChange(context, trx, after, settlement.depot_id)
  await appendStreamMessage(context, trx, after, target, 'settlement', {
    orderId: settlement.order_id,
    intentId,
    verdict,
    transactionId: outcome.transactionId,
  })
  if (verdict !== 'not_found') {
    await resolveFlags(trx, intentId, 'unverified_not_found', now)
  } else {
    await raiseFlag(
      context,
      trx,
      after,
      {
        depotId: settlement.depot_id,
        orderId: settlement.order_id,
        kind: 'unverified_not_found',
        intentId,
        transactionId: null,
        amountFen: settlement.claimed_fen,
        dedupeKey: intentId,
        note: `the device said ${settlement.kind === 'unverified' ? '"paid, to be verified"' : 'paid'}; the acquirer has no payment`,
      },
      target,
    )
  }
}
