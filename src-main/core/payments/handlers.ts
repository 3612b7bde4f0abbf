import { INTENT_ALREADY_PAID, IntentResponse } from '../../../shared/api/intents'
import type { PaymentView } from '../../../shared/ipc/contract'
import { TuotouError } from '../../../shared/errors'
import { answer, type CoreContext, type HandlersFor } from '../context'
import { requireRoute, requireShift } from '../device/status'
import { requireCollectable, requireInHand } from '../doorstep/require'
import {
  currentIntent,
  findIntent,
  findOrder,
  orderView,
  paymentView,
  requireOrder,
  type IntentRow,
  type OrderRow,
} from '../manifest/views'
import { appendEvent } from '../outbox/store'
import { requireNoOpenCharge } from '../charge/store'
import { applyIntentUpdate } from './apply'
import { recordUnverified, unverifiedAllowance } from './unverified'

export type PaymentHandlers = HandlersFor<
  'showPaymentQr' | 'renewPaymentQr' | 'leavePayment' | 'startCash' | 'recordUnverified' | 'getUnverifiedAllowance'
>

function requireIntent(ctx: CoreContext, order: OrderRow): IntentRow {
  const intent = currentIntent(ctx.db, order.order_id)
  if (!intent) throw new TuotouError('payment.no_intent', `order ${order.waybill} has no payment intent`)
  return intent
}

/** Asks the backend how an intent stands and applies the answer; true while it is still worth asking. */
export async function pollIntent(ctx: CoreContext, intentId: string): Promise<boolean> {
  const { token } = requireShift(ctx)
  const intent = await ctx.backend.request({
    method: 'GET',
    path: `/api/v1/intents/${encodeURIComponent(intentId)}`,
    token,
    response: IntentResponse,
    timeoutMs: 5000,
  })
  applyIntentUpdate(ctx, intent, 'poll')
  const after = findIntent(ctx.db, intentId)
  if (!after || after.status === 'pending') return after !== null
  if ((after.status === 'cancelled' || after.status === 'expired') && after.cancelled_at === null) {
    await replaceDeadQr(ctx, after)
  }
  return false
}

/**
 * The QR on screen turned out withdrawn or lapsed at the backend (a cancellation this device never recorded: a
 * crash between the backend's cancel and the device's write, say): the next one is made at once and shown in
 * its place, so the customer never scans a QR that would be refused.
 */
async function replaceDeadQr(ctx: CoreContext, dead: IntentRow): Promise<void> {
  const order = findOrder(ctx.db, dead.order_id)
  if (!order || order.status !== 'pending' || dead.is_current !== 1) return
  if (ctx.doorstep.inHand() !== order.order_id || ctx.doorstep.collecting() !== 'qr') return
  const fresh = await renew(ctx, order, dead)
  if (fresh.status !== 'pending') return
  const view = recordShown(ctx, order, fresh)
  ctx.events.emit('paymentUpdated', {
    orderId: order.order_id,
    payment: view,
    orderStatus: 'pending',
    completed: false,
    flag: null,
  })
}

function needsRenewal(ctx: CoreContext, intent: IntentRow): boolean {
  return (
    intent.cancelled_at !== null ||
    intent.status === 'expired' ||
    intent.status === 'cancelled' ||
    // The backend decides when an intent expires, so it is judged by the backend's clock: a device clock hours
    // ahead must not throw away a QR that is still payable (and the backend would refuse to renew it).
    Date.parse(intent.expires_at) <= ctx.clock.backendNow().getTime()
  )
}

/**
 * An expired (or cancelled) intent cannot be paid; the backend creates the next one. This needs coverage, the
 * only QR step that does. If the old intent turns out to be paid, that payment is applied instead.
 */
async function renew(ctx: CoreContext, order: OrderRow, intent: IntentRow): Promise<IntentRow> {
  const { token } = requireShift(ctx)
  let fresh
  try {
    fresh = await ctx.backend.request({
      method: 'POST',
      path: `/api/v1/intents/${encodeURIComponent(intent.intent_id)}/renew`,
      token,
      response: IntentResponse,
      timeoutMs: 5000,
    })
  } catch (error) {
    if (error instanceof TuotouError && error.code === INTENT_ALREADY_PAID) {
      await pollIntent(ctx, intent.intent_id)
      return findIntent(ctx.db, intent.intent_id)!
    }
    if (error instanceof TuotouError && error.code === 'backend.unreachable') {
      throw new TuotouError('payment.renew_offline', 'the QR has expired and there is no coverage to renew it', {
        waybill: order.waybill,
      })
    }
    throw error
  }
  ctx.db.transaction(() => {
    ctx.db.run(
      `UPDATE intents SET is_current = 0,
         status = CASE WHEN status = 'pending' AND cancelled_at IS NULL THEN 'expired' ELSE status END
       WHERE order_id = ?`,
      [order.order_id],
    )
    ctx.db.run(
      `INSERT INTO intents (intent_id, order_id, attempt, amount_fen, qr_payload, status, expires_at, is_current)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT (intent_id) DO UPDATE SET is_current = 1, status = excluded.status,
         expires_at = excluded.expires_at`,
      [fresh.intentId, order.order_id, fresh.attempt, fresh.amountFen, fresh.qrPayload, fresh.status, fresh.expiresAt],
    )
  })
  return findIntent(ctx.db, fresh.intentId)!
}

/**
 * Records that the customer was shown this intent's QR, then starts the poll fallback. The order must still be in
 * hand: a renewal waits on the network, and a scan meanwhile may have moved the courier on.
 */
export function recordShown(ctx: CoreContext, order: OrderRow, intent: IntentRow): PaymentView {
  requireInHand(ctx, order.order_id)
  const at = ctx.now().toISOString()
  const shown = ctx.db.transaction(() => {
    ctx.db.run('UPDATE intents SET shown_at = COALESCE(shown_at, ?) WHERE intent_id = ?', [at, intent.intent_id])
    appendEvent(ctx.db, {
      type: 'payment.qr_shown',
      payload: { orderId: order.order_id, intentId: intent.intent_id },
      shiftId: order.shift_id,
      occurredAt: at,
    })
    return findIntent(ctx.db, intent.intent_id)!
  })
  ctx.outboxChanged()
  if (shown.status === 'pending') ctx.payments.watch(order.order_id, shown.intent_id)
  ctx.doorstep.collect('qr')
  ctx.doorstep.changed()
  return paymentView(shown, order.waybill)
}

export function paymentHandlers(ctx: CoreContext): PaymentHandlers {
  const openCash = (orderId: string): void => {
    if (ctx.doorstep.inHand() !== orderId) return
    ctx.doorstep.collect('cash')
    ctx.doorstep.changed()
  }
  return {
    showPaymentQr: async ({ orderId }) => {
      const order = requireCollectable(ctx, orderId)
      requireNoOpenCharge(ctx.db, orderId)
      let intent = requireIntent(ctx, order)
      if (intent.status === 'paid') return paymentView(intent, order.waybill)
      // The hot path: the intent came with the manifest, so the QR needs no network unless it has expired.
      if (needsRenewal(ctx, intent)) intent = await renew(ctx, order, intent)
      if (intent.status === 'paid') return paymentView(intent, order.waybill)
      return recordShown(ctx, order, intent)
    },

    renewPaymentQr: async ({ orderId }) => {
      const order = requireCollectable(ctx, orderId)
      let intent = requireIntent(ctx, order)
      if (intent.status === 'paid' || !needsRenewal(ctx, intent)) return paymentView(intent, order.waybill)
      intent = await renew(ctx, order, intent)
      if (intent.status === 'paid') return paymentView(intent, order.waybill)
      return recordShown(ctx, order, intent)
    },

    recordUnverified: ({ orderId }) => answer(() => recordUnverified(ctx, orderId)),
    getUnverifiedAllowance: () => answer(() => unverifiedAllowance(ctx.db, requireRoute(ctx))),
    leavePayment: ({ orderId }) =>
      answer(() => {
        ctx.payments.stop(orderId)
        // Back from the QR or the cash panel: the intent stays as it is (a QR the customer may still pay stays
        // payable), and nothing is open for the order in hand any more.
        if (ctx.doorstep.inHand() === orderId && ctx.doorstep.collecting() !== null) {
          ctx.doorstep.collect(null)
          ctx.doorstep.changed()
        }
        return {}
      }),

    startCash: async ({ orderId }) => {
      const order = requireCollectable(ctx, orderId)
      requireNoOpenCharge(ctx.db, orderId)
      const intent = currentIntent(ctx.db, orderId)
      ctx.payments.stop(orderId)
      if (!intent || intent.cancelled_at !== null || intent.status !== 'pending') {
        if (intent?.status === 'paid') {
          return {
            intentCancellation: 'none',
            alreadyPaid: true,
            order: orderView(ctx.db, requireOrder(ctx.db, orderId)),
          }
        }
        openCash(orderId)
        return { intentCancellation: 'none', alreadyPaid: false, order: orderView(ctx.db, order) }
      }
      // Cancel first, so the customer cannot pay the QR after handing over cash.
      let intentCancellation: 'cancelled' | 'recorded' = 'recorded'
      try {
        const { token } = requireShift(ctx)
        const answer = await ctx.backend.request({
          method: 'POST',
          path: `/api/v1/intents/${encodeURIComponent(intent.intent_id)}/cancel`,
          token,
          response: IntentResponse,
          timeoutMs: 3000,
        })
        if (answer.status === 'paid') {
          applyIntentUpdate(ctx, answer, 'poll')
        } else {
          intentCancellation = 'cancelled'
        }
      } catch (error) {
        if (error instanceof TuotouError && error.code === INTENT_ALREADY_PAID) {
          await pollIntent(ctx, intent.intent_id)
        } else if (!(error instanceof TuotouError) || error.code === 'internal') {
          throw error
        }
        // Anything else (no coverage, a 5xx, a lapsed login): the cancellation is recorded and goes on sync.
      }
      const after = findIntent(ctx.db, intent.intent_id)!
      if (after.status === 'paid') {
        return {
          intentCancellation: 'none',
          alreadyPaid: true,
          order: orderView(ctx.db, requireOrder(ctx.db, orderId)),
        }
      }
      // The cancellation waited on the network: the order must still be the one in hand, and still open.
      requireInHand(ctx, orderId)
      const at = ctx.now().toISOString()
      ctx.db.transaction(() => {
        const cancelled = ctx.db.run(
          `UPDATE intents SET status = 'cancelled', cancelled_at = ?
           WHERE intent_id = ? AND cancelled_at IS NULL AND paid_at IS NULL`,
          [at, intent.intent_id],
        ).changes
        // A second cash tap raced this one and recorded the cancellation already: one event is enough.
        if (cancelled === 0) return
        appendEvent(ctx.db, {
          type: 'intent.cancelled',
          payload: { orderId, intentId: intent.intent_id },
          shiftId: order.shift_id,
          occurredAt: at,
        })
      })
      ctx.outboxChanged()
      openCash(orderId)
      const view = orderView(ctx.db, requireOrder(ctx.db, orderId))
      ctx.events.emit('paymentUpdated', {
        orderId,
        payment: view.payment!,
        orderStatus: view.status,
        completed: false,
        flag: null,
      })
      return { intentCancellation, alreadyPaid: false, order: view }
    },
  }
}
