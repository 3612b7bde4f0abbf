import type { CoreContext, HandlersFor } from '../context'
import { rejectedEvents } from '../outbox/store'
import type { SyncEngine } from './engine'

export type SyncHandlers = HandlersFor<'getSyncStatus' | 'syncNow' | 'getRejectedEvents'>

export function syncHandlers(ctx: CoreContext, engine: SyncEngine): SyncHandlers {
  return {
    getSyncStatus: () => Promise.resolve(engine.status()),
    syncNow: () => engine.syncNow(),
    getRejectedEvents: () =>
      Promise.resolve(
        rejectedEvents(ctx.db).map(({ event, reason }) => ({
          seq: event.seq,
          type: event.type,
          occurredAt: event.occurredAt,
          reason: reason ?? 'rejected',
          orderId: 'orderId' in event.payload ? event.payload.orderId : null,
        })),
      ),
  }
}
