import type { Kysely } from 'kysely'
import type { AttentionAction, AttentionQueueItem, ResolveAttentionRequest } from '../../shared/api/attention'
import type { AttentionResponse } from '../../shared/api/dashboard'
import type { BackendContext } from '../context'
import type { Trx } from '../db/connect'
import type { BackendSchema } from '../db/schema'
import type { AfterCommit } from '../db/transaction'
import type { CourierName } from './couriers'

/** An item as its source knows it, before the queue adds how (and whether) a supervisor closed it. */
export type QueueItemDraft = Omit<AttentionQueueItem, 'resolution' | 'actions'> & {
  actions?: AttentionAction[]
  /** Closed without a supervisor (a payment that did arrive after all): no longer open, nothing to do. */
  closedBySystemAt?: string | null
}

/** One item found for a resolution, with the day it belongs to. */
export interface FoundItem {
  item: QueueItemDraft
  date: string
}

/**
 * Where one kind of work-queue item comes from and what closing it does. A new kind (an orphan proof, an intent
 * with no final state) is a new source in `ATTENTION_SOURCES`; the resolve route, the audit and the page need
 * nothing else.
 */
export interface AttentionSource {
  /** The prefix of its item IDs, `<prefix>:<key>`. */
  prefix: string
  /** The day's items, from the lists already read for the day where it can. */
  list(
    db: Kysely<BackendSchema>,
    depotId: string,
    date: string,
    lists: AttentionResponse,
    nowMs: number,
  ): Promise<QueueItemDraft[]>
  /** One item by its key (the ID after the prefix), in this depot; null when there is none. */
  find(trx: Trx, depotId: string, key: string, couriers: Map<string, CourierName>): Promise<FoundItem | null>
  /** Work done in the resolution's transaction: the flag marked resolved, the order moved, the device told. */
  onResolved?(
    context: BackendContext,
    trx: Trx,
    after: AfterCommit,
    found: FoundItem,
    request: ResolveAttentionRequest,
    depotId: string,
  ): Promise<void>
}
