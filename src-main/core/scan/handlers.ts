import type { ScanSource } from '../../../shared/api/events'
import type { ScanOutcome } from '../../../shared/ipc/contract'
import { TuotouError } from '../../../shared/errors'
import { looksLikePaymentCode, maskPaymentCode } from '../../../shared/payment-code'
import { looksLikeReceipt } from '../../../shared/receipt'
import { chargePaymentCode } from '../charge/handlers'
import { answer, type CoreContext, type HandlersFor } from '../context'
import { requireActiveRoute } from '../device/status'
import { openUndo } from '../delivery/handlers'
import { findOrder, orderView } from '../manifest/views'
import { publishPaymentUpdate } from '../payments/apply'
import { scanReceipt } from '../payments/receipt'
import type { ShiftRow } from '../shift/store'
import { refuseScan, scanCode } from './lookup'

export type ScanHandlers = HandlersFor<'scanBarcode' | 'resolveScanConflict'>

export function scanHandlers(ctx: CoreContext): ScanHandlers {
  const door = ctx.doorstep

  /** After a refusal: the order in hand is let go, unless its collection is open (the customer may be paying). */
  const refused = (orderId: string | null): void => {
    if (door.collecting() === null) door.letGo()
    // A scan of the completion just made ("already delivered") keeps its undo; any other ends it.
    if (door.undo() && door.undo()!.orderId !== orderId) door.closeUndo()
  }

  const scan = (shift: ShiftRow, code: string, source: ScanSource): ScanOutcome => {
    const at = ctx.now().toISOString()
    if (looksLikeReceipt(code)) {
      // The customer's receipt QR, read by the same scanner, camera or keypad as a parcel label; while an order
      // is in hand it must be for that order's payment.
      const result = scanReceipt(ctx, shift, code, source, at, door.inHand() ?? undefined)
      ctx.outboxChanged()
      if (result.outcome.outcome === 'refused') refused(null)
      if (result.applied) publishPaymentUpdate(ctx, result.applied, { watched: true })
      door.changed()
      return result.outcome
    }
    const inHand = door.inHand()
    const mode = door.collecting()
    const result = scanCode(ctx.db, shift, code, source, at, inHand && mode ? { orderId: inHand, mode } : null)
    const outcome = result.outcome
    if (outcome.outcome === 'conflict') {
      door.hold({ code: outcome.code, source, orderId: outcome.order.orderId, waybill: outcome.order.waybill })
    } else if (outcome.outcome === 'refused') {
      refused(result.orderId)
    } else if (outcome.outcome === 'accepted') {
      door.closeUndo()
      if (outcome.completed) {
        door.letGo()
        openUndo(ctx, findOrder(ctx.db, outcome.order.orderId)!, 'prepaid', 0, at)
      } else {
        door.take(outcome.order.orderId)
      }
    }
    ctx.outboxChanged()
    if (result.changedOrderIds.length > 0) ctx.events.emit('routeChanged', { orderIds: result.changedOrderIds })
    door.changed()
    return outcome
  }

  /**
   * A customer's payment code (付款码): it is all digits, so it can never be a waybill; it is charged for the order
   * in hand when that order is ready to collect, and otherwise refused (logged with the code masked) and nothing
   * of the order in hand changes.
   */
  const scanPaymentCode = async (shift: ShiftRow, code: string, source: ScanSource): Promise<ScanOutcome> => {
    const inHand = door.inHand()
    const order = inHand ? findOrder(ctx.db, inHand) : null
    const ready =
      order !== null &&
      order.status === 'pending' &&
      order.cod_fen > 0 &&
      door.how() === 'scanned' &&
      (door.collecting() === null || door.collecting() === 'qr' || door.collecting() === 'charge')
    if (!ready) {
      const at = ctx.now().toISOString()
      const result = ctx.db.transaction(() =>
        refuseScan(ctx.db, shift, maskPaymentCode(code), source, 'payment_code_no_order', at, null),
      )
      ctx.outboxChanged()
      door.changed()
      return result.outcome
    }
    const charge = await chargePaymentCode(ctx, order.order_id, code, source)
    return { outcome: 'charge', order: orderView(ctx.db, findOrder(ctx.db, order.order_id)!), charge }
  }

  return {
    scanBarcode: ({ code, source }) =>
      looksLikePaymentCode(code)
        ? answer(() => requireActiveRoute(ctx)).then((shift) => scanPaymentCode(shift, code.trim(), source))
        : answer(() => scan(requireActiveRoute(ctx), code, source)),

    resolveScanConflict: ({ choice }) =>
      answer(() => {
        const shift = requireActiveRoute(ctx)
        const held = door.held()
        if (!held) throw new TuotouError('doorstep.no_conflict', 'no scan is waiting for keep or switch')
        door.hold(null)
        if (choice === 'keep') {
          // The collection stays; the parcel that interrupted it is logged as refused, like any stray scan.
          const order = findOrder(ctx.db, held.orderId)
          const at = ctx.now().toISOString()
          const result = ctx.db.transaction(() =>
            refuseScan(ctx.db, shift, held.code, held.source, 'collection_in_progress', at, order),
          )
          ctx.outboxChanged()
          door.changed()
          return result.outcome
        }
        // Switch: the collection is left (never cancelled: the customer may still pay that QR, and a payment
        // that lands is announced), and the new parcel's scan is recorded as if nothing had been open.
        const current = door.inHand()
        if (current) ctx.payments.stop(current)
        door.collect(null)
        return scan(shift, held.code, held.source)
      }),
  }
}
