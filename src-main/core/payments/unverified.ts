import type { OrderView, UnverifiedAllowance } from '../../../shared/ipc/contract'
import { TuotouError } from '../../../shared/errors'
import { formatFen } from '../../../shared/money'
import type { CoreContext } from '../context'
import type { DeviceDb } from '../db'
import { completeDelivery } from '../delivery/complete'
import { requireCollectable } from '../doorstep/require'
import { currentIntent, findIntent, orderView, paymentView, requireOrder } from '../manifest/views'
import { appendEvent } from '../outbox/store'
import type { ShiftRow } from '../shift/store'
import { publishPaymentUpdate } from './apply'

/**
 * What is left of the shift's "paid, to be verified" allowance. Claims are counted over the orders on the shift's
 * route, so a courier who logs in again mid-route (a new backend shift) does not get a fresh allowance: the
 * device is never more generous than the backend, which refuses a claim over its limits on sync.
 */
export function unverifiedAllowance(db: DeviceDb, shift: ShiftRow): UnverifiedAllowance {
  const { used } = db.get<{ used: number }>(
    `SELECT COALESCE(SUM(i.amount_fen), 0) AS used FROM intents i JOIN orders o ON o.order_id = i.order_id
     WHERE o.shift_id = ? AND i.unverified_at IS NOT NULL`,
    [shift.shift_id],
  )!
  return {
    perOrderFen: shift.unverified_per_order_fen,
    perShiftFen: shift.unverified_per_shift_fen,
    usedFen: used,
    remainingFen: Math.max(0, shift.unverified_per_shift_fen - used),
  }
}

/**
 * "Paid, to be verified": the customer says they paid and the device cannot learn it (no coverage, no receipt).
 * Within the limits from login, the order completes as digital with a `payment.unverified` claim, in one
 * transaction; the backend settles the claim against the acquirer's records and pushes its verdict back.
 */
export function recordUnverified(ctx: CoreContext, orderId: string): OrderView {
  const order = requireCollectable(ctx, orderId)
  if (ctx.doorstep.collecting() !== 'qr') {
    // The customer can only have paid a QR they were shown, and it is on screen now: money is recorded only
    // against the order whose QR is open.
    throw new TuotouError('unverified.qr_not_shown', `show the QR of ${order.waybill} first`, {
      waybill: order.waybill,
    })
  }
  const intent = currentIntent(ctx.db, orderId)
  if (!intent) throw new TuotouError('payment.no_intent', `order ${order.waybill} has no digital payment`)
  if (intent.cancelled_at !== null || intent.status === 'cancelled' || intent.status === 'expired') {
    // The customer cannot have paid a QR that was withdrawn or ran out: there is nothing to verify.
    throw new TuotouError('unverified.intent_closed', `the QR for ${order.waybill} is ${intent.status}`, {
      waybill: order.waybill,
      status: intent.status,
    })
  }
  const shift = ctx.db.get<ShiftRow>('SELECT * FROM shifts WHERE shift_id = ?', [order.shift_id])!
  const allowance = unverifiedAllowance(ctx.db, shift)
  const amount = intent.amount_fen
  if (amount > allowance.perOrderFen) {
    throw new TuotouError(
      'unverified.over_order_limit',
      `${formatFen(amount)} is over the ${formatFen(allowance.perOrderFen)} limit per order`,
      { amount: formatFen(amount), limit: formatFen(allowance.perOrderFen) },
    )
  }
  if (amount > allowance.remainingFen) {
    throw new TuotouError(
      'unverified.over_shift_limit',
      `${formatFen(amount)} is over the ${formatFen(allowance.remainingFen)} left of this shift's limit`,
      {
        amount: formatFen(amount),
        remaining: formatFen(allowance.remainingFen),
        limit: formatFen(allowance.perShiftFen),
      },
    )
  }
  const at = ctx.now().toISOString()
  ctx.db.transaction(() => {
    ctx.db.run('UPDATE intents SET unverified_at = ? WHERE intent_id = ? AND unverified_at IS NULL', [
      at,
      intent.intent_id,
    ])
    appendEvent(ctx.db, {
      type: 'payment.unverified',
      payload: { orderId, intentId: intent.intent_id, amountFen: amount },
      shiftId: order.shift_id,
      occurredAt: at,
    })
    completeDelivery(ctx.db, order, { method: 'digital', collectedFen: amount, intentId: intent.intent_id }, at)
  })
  const after = requireOrder(ctx.db, orderId)
  publishPaymentUpdate(ctx, {
    appended: true,
    attention: true,
    update: {
      orderId,
      payment: paymentView(findIntent(ctx.db, intent.intent_id)!, order.waybill),
      orderStatus: after.status,
      completed: true,
      flag: null,
    },
  })
  return orderView(ctx.db, after)
}
