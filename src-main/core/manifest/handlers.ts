import { answer, type CoreContext, type HandlersFor } from '../context'
import { requireRoute } from '../device/status'
import { downloadManifest } from './download'
import { orderView, requireOrder, routeView } from './views'

export type ManifestHandlers = HandlersFor<'downloadManifest' | 'getRoute' | 'getOrder'>

export function manifestHandlers(ctx: CoreContext): ManifestHandlers {
  return {
    downloadManifest: () => downloadManifest(ctx),
    getRoute: () => answer(() => routeView(ctx.db, requireRoute(ctx))),
    getOrder: ({ orderId }) =>
      answer(() => {
        requireRoute(ctx)
        return orderView(ctx.db, requireOrder(ctx.db, orderId))
      }),
  }
}
