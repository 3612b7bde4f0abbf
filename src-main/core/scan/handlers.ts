import { answer, type CoreContext, type HandlersFor } from '../context'
import { requireRoute } from '../device/status'
import { scanCode } from './lookup'

export type ScanHandlers = HandlersFor<'scanBarcode'>

export function scanHandlers(ctx: CoreContext): ScanHandlers {
  return {
    scanBarcode: ({ code, source }) =>
      answer(() => {
        const shift = requireRoute(ctx)
        const result = scanCode(ctx.db, shift, code, source, ctx.now().toISOString())
        ctx.outboxChanged()
        if (result.changedOrderIds.length > 0) ctx.events.emit('routeChanged', { orderIds: result.changedOrderIds })
        return result.outcome
      }),
  }
}
