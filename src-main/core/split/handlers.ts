import { randomUUID } from 'node:crypto'
import { INTENT_ALREADY_PAID, IntentResponse } from '../../../shared/api/intents'
import { TuotouError } from '../../../shared/errors'
import { formatFen } from '../../../shared/money'
import { answer, type CoreContext, type HandlersFor } from '../context'
import { requireNoOpenCharge } from '../charge/store'
import { completeDelivery } from '../delivery/complete'
import { requireShift } from '../device/status'
import { requireCollectable, requireInHand } from '../doorstep/require'
import { currentIntent, findIntent, orderView, requireOrder, type OrderRow } from '../manifest/views'
import { pollIntent, recordShown } from '../payments/handlers'
import { findSplit } from './store'

export type SplitHandlers = HandlersFor<'startSplit' | 'recordSplitCash'>

function refuseAmount(order: OrderRow, digitalFen: number): void {
  if (digitalFen < 1 || digitalFen >= order.cod_fen) {
    throw new TuotouError(
      'split.bad_amount',
      `the digital part must be at least ¥0.01 and less than ${formatFen(order.cod_fen)}`,
      { due: formatFen(order.cod_fen), dueFen: order.cod_fen },
    )
  }
}

/**
 * Opens a split payment for the order in hand. The split's key is written before the backend is asked, so a
 * retry (or a restart) asks for the same split and the backend answers the same part intent; a split for another
 * part gets a new key. The answer's intent becomes the order's current one (its QR and the customer's code pay
 * the part), and the whole-amount intent is no longer the one shown.
 */
async function startSplit(ctx: CoreContext, orderId: string, digitalFen: number) {
  const order = requireCollectable(ctx, orderId)
  requireNoOpenCharge(ctx.db, orderId)
  refuseAmount(order, digitalFen)
  const current = currentIntent(ctx.db, orderId)
  if (!current) throw new TuotouError('payment.no_intent', `order ${order.waybill} has no payment intent`)
  const existing = findSplit(ctx.db, orderId)
  if (existing?.intent_id && existing.intent_id === current.intent_id) {
    if (current.paid_at !== null || existing.digital_fen === digitalFen) {
      // Resumed (the courier came back to it, or the core restarted): the same split stands.
      if (current.paid_at === null) recordShown(ctx, order, current)
      return orderView(ctx.db, requireOrder(ctx.db, orderId))
    }
  } else if (current.paid_at !== null) {
    throw new TuotouError('split.already_paid', `order ${order.waybill} was paid in full`, { waybill: order.waybill })
  }
  const splitKey = existing && existing.digital_fen === digitalFen ? existing.split_key : randomUUID()
  ctx.db.run(
    `INSERT INTO splits (order_id, split_key, digital_fen, intent_id, requested_at) VALUES (?, ?, ?, NULL, ?)
     ON CONFLICT (order_id) DO UPDATE SET split_key = excluded.split_key, digital_fen = excluded.digital_fen,
       requested_at = excluded.requested_at
     WHERE splits.split_key != excluded.split_key`,
    [orderId, splitKey, digitalFen, ctx.now().toISOString()],
  )
  const { token } = requireShift(ctx)
  let part
  try {
    part = await ctx.backend.request({
      method: 'POST',
      path: `/api/v1/intents/${encodeURIComponent(current.intent_id)}/split`,
      token,
      body: { digitalFen, splitKey },
      response: IntentResponse,
      timeoutMs: 5000,
    })
  } catch (error) {
    if (error instanceof TuotouError && error.code === 'backend.unreachable') {
      throw new TuotouError(
        'split.offline',
        'a split payment needs coverage: take cash, or show the QR for the whole amount',
        { waybill: order.waybill },
      )
    }
    // The whole-amount QR was paid a moment ago: that payment is learned and completes the order.
    if (error instanceof TuotouError && error.code === INTENT_ALREADY_PAID) {
      await pollIntent(ctx, current.intent_id).catch(() => false)
    }
    throw error
  }
  // The request waited on the network: the order must still be the one in hand.
  requireInHand(ctx, orderId)
  ctx.db.transaction(() => {
    ctx.db.run('UPDATE splits SET intent_id = ? WHERE order_id = ? AND split_key = ?', [
      part.intentId,
      orderId,
      splitKey,
    ])
    // The backend withdrew the order's other open intents; here they stop being the QR shown.
    ctx.db.run(
      `UPDATE intents SET is_current = 0, status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END
       WHERE order_id = ? AND intent_id != ?`,
      [orderId, part.intentId],
    )
    ctx.db.run(
      `INSERT INTO intents (intent_id, order_id, attempt, amount_fen, qr_payload, status, expires_at, is_current)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT (intent_id) DO UPDATE SET is_current = 1`,
      [part.intentId, orderId, part.attempt, part.amountFen, part.qrPayload, part.status, part.expiresAt],
    )
  })
  const shown = findIntent(ctx.db, part.intentId)!
  if (shown.paid_at === null && shown.status === 'pending') recordShown(ctx, order, shown)
  return orderView(ctx.db, requireOrder(ctx.db, orderId))
}

export function splitHandlers(ctx: CoreContext): SplitHandlers {
  return {
    startSplit: ({ orderId, digitalFen }) => startSplit(ctx, orderId, digitalFen),

    recordSplitCash: ({ orderId }) =>
      answer(() => {
        const order = requireCollectable(ctx, orderId)
        const split = findSplit(ctx.db, orderId)
        const part = split?.intent_id ? findIntent(ctx.db, split.intent_id) : null
        if (!split || !part) {
          throw new TuotouError('split.none', `order ${order.waybill} has no split payment`, {
            waybill: order.waybill,
          })
        }
        if (part.paid_at === null) {
          throw new TuotouError(
            'split.digital_unpaid',
            `the digital part ${formatFen(part.amount_fen)} is not paid yet`,
            { waybill: order.waybill, digital: formatFen(part.amount_fen) },
          )
        }
        const at = ctx.now().toISOString()
        ctx.db.transaction(() =>
          completeDelivery(
            ctx.db,
            order,
            { method: 'split', collectedFen: order.cod_fen - part.amount_fen, intentId: part.intent_id },
            at,
          ),
        )
        ctx.doorstep.letGo()
        ctx.payments.stop(orderId)
        ctx.outboxChanged()
        ctx.events.emit('routeChanged', { orderIds: [orderId] })
        ctx.doorstep.changed()
        return orderView(ctx.db, requireOrder(ctx.db, orderId))
      }),
  }
}
