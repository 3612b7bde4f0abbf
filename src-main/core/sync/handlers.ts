import { answer, type CoreContext, type HandlersFor } from '../context'
import { attentionList, rejectedList } from './attention'
import type { SyncEngine } from './engine'

export type SyncHandlers = HandlersFor<'getSyncStatus' | 'syncNow' | 'getRejectedEvents' | 'getAttention'>

export function syncHandlers(ctx: CoreContext, engine: SyncEngine): SyncHandlers {
  return {
    getSyncStatus: () => answer(() => engine.status()),
    syncNow: () => engine.syncNow(),
    getRejectedEvents: () => answer(() => rejectedList(ctx.db)),
    getAttention: () => answer(() => attentionList(ctx.db)),
  }
}
