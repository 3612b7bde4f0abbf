import { StreamMessages, type StreamMessageName } from '../../../shared/api/stream'
import type { CoreContext } from '../context'
import { findOrder, latestFlag } from '../manifest/views'
import { applyManifestChange } from '../manifest/store'
import { applyIntentUpdate, raiseFlag } from '../payments/apply'
import { applyChargeAnswer } from '../charge/handlers'
import { markShiftMoved } from '../shift/moved'
import { markRetired } from '../device/retired'
import { acknowledgeRejected } from '../outbox/store'
import { recordRefund } from '../refunds/store'
import { writeSyncState } from './state'
import type { SseMessage } from '../../../shared/sse'

export interface PullEffects {
  /** The route changed in a way one message cannot describe: fetch the manifest again. */
  refetchManifest(): void
}

/**
 * Applies one message from the device stream, in one transaction with the stream cursor, so a crash either keeps
 * both or neither and the stream resumes from the right place. A message that does not match the contract is
 * skipped (its cursor kept) rather than blocking every message after it.
 */
export function applyStreamMessage(ctx: CoreContext, message: SseMessage, effects: PullEffects): void {
  const moveCursor = (): void => {
    if (message.id !== null) writeSyncState(ctx.db, 'stream_cursor', message.id)
  }
  const name = message.event as StreamMessageName
  const schema = Object.hasOwn(StreamMessages, name) ? StreamMessages[name] : null
  let data: unknown
  try {
    data = JSON.parse(message.data)
  } catch {
    data = undefined
  }
  const parsed = schema?.safeParse(data)
  if (!schema || !parsed?.success) {
    ctx.db.transaction(moveCursor)
    return
  }
  const at = ctx.now().toISOString()
  switch (name) {
    case 'payment': {
      const update = StreamMessages.payment.parse(data)
      applyIntentUpdate(ctx, update, 'push', moveCursor)
      return
    }
    case 'charge': {
      const charge = StreamMessages.charge.parse(data)
      applyChargeAnswer(ctx, charge, 'push', moveCursor)
      return
    }
    case 'manifest': {
      const change = StreamMessages.manifest.parse(data)
      const result = ctx.db.transaction(() => {
        const applied = applyManifestChange(ctx.db, change, at)
        moveCursor()
        return applied
      })
      if (result.changed) {
        ctx.payments.stop(change.orderId)
        ctx.events.emit('routeChanged', { orderIds: [change.orderId] })
        ctx.doorstep.recheck()
      }
      if (result.refetch) effects.refetchManifest()
      return
    }
    case 'settlement': {
      const verdict = StreamMessages.settlement.parse(data)
      const changed = ctx.db.transaction(() => {
        const stored = ctx.db.run(
          `INSERT INTO settlements (intent_id, order_id, verdict, transaction_id, received_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (intent_id) DO UPDATE SET verdict = excluded.verdict, transaction_id = excluded.transaction_id,
             received_at = excluded.received_at
           WHERE settlements.verdict IS NOT excluded.verdict OR settlements.transaction_id IS NOT excluded.transaction_id`,
          [verdict.intentId, verdict.orderId, verdict.verdict, verdict.transactionId, at],
        ).changes
        moveCursor()
        return stored > 0 && findOrder(ctx.db, verdict.orderId) !== null
      })
      if (changed) {
        // The verdict shows on the order's payment and on the "needs attention" list.
        ctx.events.emit('routeChanged', { orderIds: [verdict.orderId] })
        ctx.attentionChanged()
      }
      return
    }
    case 'shift': {
      const moved = StreamMessages.shift.parse(data)
      ctx.db.transaction(moveCursor)
      markShiftMoved(ctx, moved.shiftId, moved.toDeviceId, moved.at)
      return
    }
    case 'flag': {
      const flag = StreamMessages.flag.parse(data)
      const raised = ctx.db.transaction(() => {
        const known = findOrder(ctx.db, flag.orderId) !== null
        // The device may have flagged the same thing itself; the courier is told once.
        const told = ctx.db.get('SELECT 1 FROM order_flags WHERE order_id = ? AND kind = ?', [flag.orderId, flag.kind])
        const fresh = known && raiseFlag(ctx, flag, 'backend', at)
        moveCursor()
        return fresh && !told
      })
      if (raised) {
        ctx.events.emit('orderFlagged', latestFlag(ctx.db, flag.orderId)!)
        ctx.events.emit('routeChanged', { orderIds: [flag.orderId] })
        ctx.attentionChanged()
      }
      return
    }
    case 'refund': {
      const refund = StreamMessages.refund.parse(data)
      const changed = ctx.db.transaction(() => {
        const stored = findOrder(ctx.db, refund.orderId) !== null && recordRefund(ctx.db, refund, at)
        moveCursor()
        return stored
      })
      // The shift summary counts it; its screen reloads on a route change.
      if (changed) ctx.events.emit('routeChanged', { orderIds: [refund.orderId] })
      return
    }
    case 'device': {
      const retired = StreamMessages.device.parse(data)
      ctx.db.transaction(moveCursor)
      markRetired(ctx, retired.at, retired.by)
      return
    }
    case 'resolved': {
      const resolved = StreamMessages.resolved.parse(data)
      const changed = ctx.db.transaction(() => {
        let count = 0
        if (resolved.item === 'flag' && resolved.orderId && resolved.flagKind) {
          count = ctx.db.run(
            'UPDATE order_flags SET resolved_at = ? WHERE order_id = ? AND kind = ? AND resolved_at IS NULL',
            [resolved.at, resolved.orderId, resolved.flagKind],
          ).changes
        } else if (resolved.item === 'rejection' && resolved.seq !== null) {
          // The depot dealt with it: it leaves the courier's list as if they had tapped "seen".
          count = acknowledgeRejected(ctx.db, resolved.seq, at) ? 1 : 0
        }
        moveCursor()
        return count > 0
      })
      if (changed) ctx.attentionChanged()
      return
    }
  }
}
