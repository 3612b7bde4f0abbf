import type { SplitView } from '../../../shared/ipc/contract'
import type { DeviceDb } from '../db'

export interface SplitRow {
  order_id: string
  split_key: string
  digital_fen: number
  intent_id: string | null
  requested_at: string
}

export function findSplit(db: DeviceDb, orderId: string): SplitRow | null {
  return db.get<SplitRow>('SELECT * FROM splits WHERE order_id = ?', [orderId]) ?? null
}

/** Whether this intent is the digital part of its order's split: its payment leaves the cash rest to take. */
export function isSplitPart(db: DeviceDb, orderId: string, intentId: string): boolean {
  return findSplit(db, orderId)?.intent_id === intentId
}

/**
 * The order's split as the courier sees it, once the backend gave its part an intent: the digital part is
 * pending until its intent is paid, then the cash rest is, until the delivery completes as a split.
 */
export function splitView(
  db: DeviceDb,
  order: { order_id: string; cod_fen: number; status: string; method: string | null },
): SplitView | null {
  const split = findSplit(db, order.order_id)
  if (!split?.intent_id) return null
  const part = db.get<{ paid_at: string | null; amount_fen: number }>(
    'SELECT paid_at, amount_fen FROM intents WHERE intent_id = ?',
    [split.intent_id],
  )
  if (!part) return null
  const done = order.status === 'delivered' && order.method === 'split'
  return {
    digitalFen: part.amount_fen,
    cashFen: order.cod_fen - part.amount_fen,
    intentId: split.intent_id,
    state: done ? 'done' : part.paid_at !== null ? 'cash_pending' : 'digital_pending',
  }
}
