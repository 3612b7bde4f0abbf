import { looksLikeReceipt } from '../../../shared/receipt'
import { answer, type CoreContext, type HandlersFor } from '../context'
import { requireRoute } from '../device/status'
import { publishPaymentUpdate } from '../payments/apply'
import { scanReceipt } from '../payments/receipt'
import { scanCode } from './lookup'

export type ScanHandlers = HandlersFor<'scanBarcode'>

export function scanHandlers(ctx: CoreContext): ScanHandlers {
  return {
    scanBarcode: ({ code, source, orderId }) =>
      answer(() => {
        const shift = requireRoute(ctx)
        const at = ctx.now().toISOString()
        if (looksLikeReceipt(code)) {
          // The customer's receipt QR, read by the same scanner, camera or keypad as a parcel label.
          const result = scanReceipt(ctx, shift, code, source, at, orderId)
          ctx.outboxChanged()
          if (result.applied) publishPaymentUpdate(ctx, result.applied)
          return result.outcome
        }
        const result = scanCode(ctx.db, shift, code, source, at)
        ctx.outboxChanged()
        if (result.changedOrderIds.length > 0) ctx.events.emit('routeChanged', { orderIds: result.changedOrderIds })
        return result.outcome
      }),
  }
}
