import type { PaymentConfirmation } from '../../../shared/api/events'
import type { IntentStatus } from '../../../shared/api/shift'
import type { OrderFlagKind, PaymentUpdate } from '../../../shared/ipc/contract'
import type { CoreContext } from '../context'
import { completeDelivery } from '../delivery/complete'
import { completionNotice } from '../doorstep/state'
import { findIntent, findOrder, latestFlag, paymentView, type OrderRow } from '../manifest/views'
import { appendEvent } from '../outbox/store'
import { isSplitPart } from '../split/store'

/** An intent's state as the backend reports it (stream, poll, cancel or renew answer, manifest). */
export interface IntentUpdate {
  intentId: string
  status: IntentStatus
  amountFen: number
  paidAt: string | null
  transactionId: string | null
}

/**
 * Why a payment on a closed order is money to refund. A payment made before the courier took cash (the terminal
 * could not hear of it) means the customer paid twice; only one made after is a late payment, as the backend
 * judges it (`backend/acquirer/payments.ts`), so the courier and the depot read the same story.
 */
function flagKindFor(order: OrderRow, paidAt: string): OrderFlagKind {
  if (order.status === 'delivered' && order.method !== 'digital' && order.method !== 'split') {
    const paidBeforeCash = order.closed_at !== null && Date.parse(paidAt) < Date.parse(order.closed_at)
    return paidBeforeCash ? 'double_payment' : 'late_payment_after_cash'
  }
  if (order.status === 'delivered') return 'double_payment'
  if (order.status === 'failed') return 'late_payment_after_failure'
  return 'payment_on_closed_order'
}

/** Records a flag once per order, kind and intent, whoever raised it. Runs inside the caller's transaction. */
export function raiseFlag(
  ctx: CoreContext,
  flag: { orderId: string; kind: OrderFlagKind; intentId: string | null; amountFen: number },
  source: 'device' | 'backend',
  at: string,
): boolean {
  const exists = ctx.db.get(
    `SELECT 1 FROM order_flags WHERE order_id = ? AND kind = ? AND intent_id IS ? AND source = ?`,
    [flag.orderId, flag.kind, flag.intentId, source],
  )
  if (exists) return false
  ctx.db.run(
    `INSERT INTO order_flags (order_id, kind, intent_id, amount_fen, source, raised_at) VALUES (?, ?, ?, ?, ?, ?)`,
    [flag.orderId, flag.kind, flag.intentId, flag.amountFen, source, at],
  )
  return true
}

export interface Applied {
  update: PaymentUpdate
  appended: boolean
  /** The "needs attention" list changed: a flag, or an unverified payment now confirmed. */
  attention: boolean
}

/**
 * What the device does when it learns an intent changed: a first payment is recorded as `payment.confirmed`; if
 * the order is still open it completes as digital in the same transaction; if the courier had recorded it "paid,
 * to be verified" the payment confirms that claim; if the courier had closed it otherwise (cash taken, delivery
 * failed) the payment is kept and flagged, never dropped. `receipt` is the customer's signed receipt when that is
 * how the device learned it. Runs inside the caller's transaction; publish the result after the commit.
 */
export function recordIntentUpdate(
  ctx: CoreContext,
  update: IntentUpdate,
  via: PaymentConfirmation,
  at: string,
  receipt: string | null = null,
): Applied | null {
  const intent = findIntent(ctx.db, update.intentId)
  if (!intent) return null
  const order = findOrder(ctx.db, intent.order_id)!
  if (update.status === 'paid') {
    if (intent.paid_at !== null) return null
    const paidAt = update.paidAt ?? at
    ctx.db.run(
      `UPDATE intents SET status = 'paid', paid_at = ?, paid_fen = ?, transaction_id = ?, confirmed_via = ?,
         receipt = ? WHERE intent_id = ?`,
      [paidAt, update.amountFen, update.transactionId, via, receipt, intent.intent_id],
    )
    appendEvent(ctx.db, {
      type: 'payment.confirmed',
      payload: {
        orderId: order.order_id,
        intentId: intent.intent_id,
        amountFen: update.amountFen,
        via,
        transactionId: (update.transactionId ?? '').slice(0, 64),
        paidAt,
        receipt,
      },
      shiftId: order.shift_id,
      occurredAt: at,
    })
    let completed = false
    let flagged = false
    if (intent.unverified_at !== null) {
      // The courier recorded this very intent "paid, to be verified": the delivery is already done, and this
      // is the confirmation the claim waited for, not a second payment.
    } else if (order.status === 'pending' && isSplitPart(ctx.db, order.order_id, intent.intent_id)) {
      // The digital part of a split: the delivery waits for the cash rest, which the courier confirms.
    } else if (order.status === 'pending') {
      // Money arrived while the order is open: that is the delivery, even if the courier had switched to cash.
      completeDelivery(
        ctx.db,
        order,
        { method: 'digital', collectedFen: update.amountFen, intentId: intent.intent_id },
        at,
      )
      completed = true
    } else {
      flagged = raiseFlag(
        ctx,
        {
          orderId: order.order_id,
          kind: flagKindFor(order, paidAt),
          intentId: intent.intent_id,
          amountFen: update.amountFen,
        },
        'device',
        at,
      )
    }
    const after = findOrder(ctx.db, order.order_id)!
    return {
      appended: true,
      attention: flagged || intent.unverified_at !== null,
      update: {
        orderId: order.order_id,
        payment: paymentView(findIntent(ctx.db, intent.intent_id)!, order.waybill),
        orderStatus: after.status,
        completed,
        flag: flagged ? latestFlag(ctx.db, order.order_id) : null,
      },
    }
  }
  // Expiry or cancellation is the backend's statement, not the courier's: state only, no outbox event.
  if (intent.paid_at !== null || update.status === 'pending' || intent.status === update.status) return null
  ctx.db.run('UPDATE intents SET status = ? WHERE intent_id = ?', [update.status, intent.intent_id])
  return {
    appended: false,
    attention: intent.unverified_at !== null,
    update: {
      orderId: order.order_id,
      payment: paymentView(findIntent(ctx.db, intent.intent_id)!, order.waybill),
      orderStatus: order.status,
      completed: false,
      flag: null,
    },
  }
}

/**
 * Applies an intent update in one transaction (with `alsoInTransaction`, e.g. the stream cursor), then tells
 * the renderer after the commit. Returns the update, or null when it changed nothing (a repeat from poll and
 * stream both reporting the same payment).
 */
export function applyIntentUpdate(
  ctx: CoreContext,
  update: IntentUpdate,
  via: PaymentConfirmation,
  alsoInTransaction?: () => void,
): PaymentUpdate | null {
  const at = ctx.now().toISOString()
  const applied = ctx.db.transaction(() => {
    const result = recordIntentUpdate(ctx, update, via, at)
    alsoInTransaction?.()
    return result
  })
  if (!applied) return null
  publishPaymentUpdate(ctx, applied)
  return applied.update
}

/**
 * Tells the sync engine and the renderer about a payment change; call only after its transaction committed. A
 * completion of the order in hand is the one the courier is watching; any other (a payment that landed after they
 * moved on) is announced with its waybill and amount, unless `watched` says the courier just did it (a receipt
 * they scanned).
 */
export function publishPaymentUpdate(
  ctx: CoreContext,
  { update, appended, attention }: Applied,
  { watched = false }: { watched?: boolean } = {},
): void {
  if (update.payment.status !== 'pending' || update.completed) ctx.payments.stop(update.orderId)
  if (appended) ctx.outboxChanged()
  if (update.completed) {
    if (ctx.doorstep.inHand() === update.orderId) {
      ctx.doorstep.letGo()
    } else if (!watched) {
      ctx.doorstep.announce(
        completionNotice(
          update.payment.waybill,
          update.orderId,
          update.payment.paidFen ?? update.payment.amountFen,
          update.payment.confirmation,
          ctx.now().toISOString(),
        ),
      )
    }
  }
  ctx.events.emit('paymentUpdated', update)
  if (update.completed) ctx.doorstep.changed()
  if (update.completed || update.flag) ctx.events.emit('routeChanged', { orderIds: [update.orderId] })
  if (update.flag) ctx.events.emit('orderFlagged', update.flag)
  if (attention) ctx.attentionChanged()
}
