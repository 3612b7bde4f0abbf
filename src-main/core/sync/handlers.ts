import { TuotouError } from '../../../shared/errors'
import { answer, type CoreContext, type HandlersFor } from '../context'
import { acknowledgeRejected } from '../outbox/store'
import { attentionList, rejectedList } from './attention'
import type { SyncEngine } from './engine'

export type SyncHandlers = HandlersFor<
  'getSyncStatus' | 'syncNow' | 'getRejectedEvents' | 'getAttention' | 'acknowledgeRejected'
>

export function syncHandlers(ctx: CoreContext, engine: SyncEngine): SyncHandlers {
  return {
    getSyncStatus: () => answer(() => engine.status()),
    syncNow: () => engine.syncNow(),
    getRejectedEvents: () => answer(() => rejectedList(ctx.db)),
    getAttention: () => answer(() => attentionList(ctx.db)),
    acknowledgeRejected: ({ seq }) =>
      answer(() => {
        if (!acknowledgeRejected(ctx.db, seq, ctx.now().toISOString())) {
          throw new TuotouError('attention.not_open', `event #${seq} is not a refused event still on the list`, {
            seq,
          })
        }
        ctx.attentionChanged()
        return attentionList(ctx.db)
      }),
  }
}
