import type { Manifest, ManifestOrder } from '../../../shared/api/shift'
import { storeOrderProof } from '../proof/store'
import { recordRefund } from '../refunds/store'
import type { StreamMessage } from '../../../shared/api/stream'
import type { DeviceDb } from '../db'
import type { ShiftRow } from '../shift/store'
import { findIntent, findOrder } from './views'

export interface StoredManifest {
  stops: number
  orders: number
  /** Orders whose row changed, for the route to reload. */
  changedOrderIds: string[]
  /** Intents the manifest says are paid while the device still has them pending: the caller settles them. */
  paidIntents: NonNullable<ManifestOrder['intent']>[]
}

/**
 * Stores a downloaded manifest in one transaction, merging it with what the courier already did: an order the
 * device closed (delivered, failed) stays as the device recorded it, scans are kept, and an order that left the
 * manifest while still pending is marked reassigned. Orders the backend cancelled or reassigned close here.
 */
export function storeManifest(db: DeviceDb, shift: ShiftRow, manifest: Manifest, at: string): StoredManifest {
  return db.transaction(() => {
    const changedOrderIds: string[] = []
    const paidIntents: StoredManifest['paidIntents'] = []
    const seen = new Set<string>()
    let orders = 0
    db.run(
      `UPDATE shifts SET route_date = ?, manifest_version = ?, manifest_generated_at = ?, acquirer_id = ?,
         receipt_public_key = ? WHERE shift_id = ?`,
      [
        manifest.routeDate,
        manifest.version,
        manifest.generatedAt,
        manifest.acquirer.acquirerId,
        manifest.acquirer.receiptPublicKey,
        shift.shift_id,
      ],
    )
    for (const stop of manifest.stops) {
      db.run(
        `INSERT INTO stops (stop_id, shift_id, sequence, address) VALUES (?, ?, ?, ?)
         ON CONFLICT (stop_id) DO UPDATE SET shift_id = excluded.shift_id, sequence = excluded.sequence,
           address = excluded.address`,
        [stop.stopId, shift.shift_id, stop.sequence, stop.address],
      )
      stop.orders.forEach((order, position) => {
        orders++
        seen.add(order.orderId)
        const merged = mergeOrder(db, shift.shift_id, stop.stopId, position, order, at)
        storeOrderProof(db, order.orderId, order.proof)
        const moneyChanged = storeOrderMoney(db, order, at)
        if (merged.changed || moneyChanged) changedOrderIds.push(order.orderId)
        for (const parcel of order.parcels) {
          db.run(
            `INSERT INTO parcels (parcel_id, order_id, barcode, idx, count) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (parcel_id) DO UPDATE SET barcode = excluded.barcode, idx = excluded.idx,
               count = excluded.count`,
            [parcel.parcelId, order.orderId, parcel.barcode, parcel.index, parcel.count],
          )
        }
        if (order.intent) {
          const paid = mergeIntent(db, order.intent, merged.closedByBackend)
          if (paid) paidIntents.push(order.intent)
        }
      })
    }
    for (const { order_id } of db.all<{ order_id: string }>(
      `SELECT order_id FROM orders WHERE shift_id = ? AND status = 'pending'`,
      [shift.shift_id],
    )) {
      if (seen.has(order_id)) continue
      db.run(`UPDATE orders SET status = 'reassigned', closed_at = ? WHERE order_id = ?`, [at, order_id])
      changedOrderIds.push(order_id)
    }
    return { stops: manifest.stops.length, orders, changedOrderIds, paidIntents }
  })
}

/**
 * The order's refunds and its claim's verdict, as the backend holds them: what the stream said while this device
 * was away (or before it took the shift over) is not lost. True when anything changed.
 */
function storeOrderMoney(db: DeviceDb, order: ManifestOrder, at: string): boolean {
  if (!order.money) return false
  let changed = false
  for (const refund of order.money.refunds) {
    if (refund.orderId === order.orderId && recordRefund(db, refund, at)) changed = true
  }
  const settlement = order.money.settlement
  if (settlement) {
    const stored = db.run(
      `INSERT INTO settlements (intent_id, order_id, verdict, transaction_id, received_at) VALUES (?, ?, ?, NULL, ?)
       ON CONFLICT (intent_id) DO UPDATE SET verdict = excluded.verdict, received_at = excluded.received_at
       WHERE settlements.verdict IS NOT excluded.verdict`,
      [settlement.intentId, order.orderId, settlement.verdict, at],
    ).changes
    if (stored > 0) changed = true
  }
  return changed
}

/**
 * Merges one order. `closedByBackend` when the backend's record closed it and this device did not (another of the
 * courier's terminals delivered it before a device swap): its payment is then the backend's truth too, never a
 * second payment to flag.
 */
function mergeOrder(
  db: DeviceDb,
  shiftId: string,
  stopId: string,
  position: number,
  order: ManifestOrder,
  at: string,
): { changed: boolean; closedByBackend: boolean } {
  const local = findOrder(db, order.orderId)
  const done = order.status === 'delivered' || order.status === 'failed'
  const outcome = done ? (order.outcome ?? null) : null
  if (!local) {
    db.run(
      `INSERT INTO orders (order_id, shift_id, stop_id, position, waybill, cod_fen, masked_name, masked_phone,
         address, status, attempt, method, collected_fen, failure_reason, closed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        order.orderId,
        shiftId,
        stopId,
        position,
        order.waybill,
        order.codFen,
        order.recipient.maskedName,
        order.recipient.maskedPhone,
        order.address,
        order.status,
        order.attempt,
        outcome?.method ?? null,
        outcome && order.status === 'delivered' ? outcome.collectedFen : null,
        outcome?.failureReason ?? null,
        order.status === 'pending' ? null : (outcome?.closedAt ?? at),
      ],
    )
    return { changed: true, closedByBackend: done }
  }
  // The same route under a new shift (the courier logged in again): the order moves to it as it stands.
  if (local.shift_id !== shiftId) {
    db.run('UPDATE orders SET shift_id = ?, stop_id = ?, position = ? WHERE order_id = ?', [
      shiftId,
      stopId,
      position,
      order.orderId,
    ])
  }
  if (local.status !== 'pending') return { changed: local.shift_id !== shiftId, closedByBackend: false }
  if (done) {
    // Still open here, closed at the backend: another terminal of the courier's did it. Shown as recorded there,
    // with no event from this device, which did nothing.
    db.run(
      `UPDATE orders SET stop_id = ?, position = ?, status = ?, method = ?, collected_fen = ?, failure_reason = ?,
         closed_at = ? WHERE order_id = ? AND status = 'pending'`,
      [
        stopId,
        position,
        order.status,
        outcome?.method ?? null,
        outcome && order.status === 'delivered' ? outcome.collectedFen : null,
        outcome?.failureReason ?? null,
        outcome?.closedAt ?? at,
        order.orderId,
      ],
    )
    return { changed: true, closedByBackend: true }
  }
  const closing = order.status === 'cancelled' || order.status === 'reassigned'
  db.run(
    `UPDATE orders SET stop_id = ?, position = ?, cod_fen = ?, masked_name = ?, masked_phone = ?, address = ?,
       attempt = ?, status = ?, closed_at = ? WHERE order_id = ?`,
    [
      stopId,
      position,
      order.codFen,
      order.recipient.maskedName,
      order.recipient.maskedPhone,
      order.address,
      order.attempt,
      closing ? order.status : 'pending',
      closing ? at : null,
      order.orderId,
    ],
  )
  return { changed: true, closedByBackend: false }
}

/**
 * Returns true when the manifest reports a payment the device has not recorded yet, for the caller to apply as the
 * device learning it. For an order the backend closed (`closedByBackend`), the payment is stored as it stands:
 * it is the one that completed that delivery elsewhere.
 */
function mergeIntent(db: DeviceDb, intent: NonNullable<ManifestOrder['intent']>, closedByBackend: boolean): boolean {
  if (closedByBackend && intent.status === 'paid') {
    db.run('UPDATE intents SET is_current = 0 WHERE order_id = ? AND intent_id != ?', [intent.orderId, intent.intentId])
    db.run(
      `INSERT INTO intents (intent_id, order_id, attempt, amount_fen, qr_payload, status, expires_at, paid_at, paid_fen,
         transaction_id, is_current, confirmed_via)
       VALUES (?, ?, ?, ?, ?, 'paid', ?, ?, ?, ?, 1, 'poll')
       ON CONFLICT (intent_id) DO UPDATE SET status = 'paid', paid_at = excluded.paid_at, paid_fen = excluded.paid_fen,
         transaction_id = excluded.transaction_id, confirmed_via = COALESCE(intents.confirmed_via, 'poll')
       WHERE intents.paid_at IS NULL`,
      [
        intent.intentId,
        intent.orderId,
        intent.attempt,
        intent.amountFen,
        intent.qrPayload,
        intent.expiresAt,
        intent.paidAt,
        intent.amountFen,
        intent.transactionId,
      ],
    )
    return false
  }
  const local = findIntent(db, intent.intentId)
  if (!local) {
    const order = findOrder(db, intent.orderId)
    // A new intent replaces the current one only while the courier can still collect with it.
    if (order?.status === 'pending') {
      db.run('UPDATE intents SET is_current = 0 WHERE order_id = ?', [intent.orderId])
    }
    db.run(
      `INSERT INTO intents (intent_id, order_id, attempt, amount_fen, qr_payload, status, expires_at, is_current)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        intent.intentId,
        intent.orderId,
        intent.attempt,
        intent.amountFen,
        intent.qrPayload,
        intent.status === 'paid' ? 'pending' : intent.status,
        intent.expiresAt,
        order?.status === 'pending' ? 1 : 0,
      ],
    )
    return intent.status === 'paid'
  }
  if (local.paid_at !== null) return false
  if (intent.status === 'paid') return true
  if (local.cancelled_at === null && local.status === 'pending' && intent.status !== 'pending') {
    db.run('UPDATE intents SET status = ? WHERE intent_id = ?', [intent.status, intent.intentId])
  }
  return false
}

/**
 * Applies a manifest change from the device stream, inside the caller's transaction (which also moves the stream
 * cursor). Returns whether the whole manifest must be fetched again (an order was updated, or the version moved
 * past what a single change explains).
 */
export function applyManifestChange(
  db: DeviceDb,
  change: StreamMessage<'manifest'>,
  at: string,
): { changed: boolean; refetch: boolean } {
  const order = findOrder(db, change.orderId)
  if (!order || order.shift_id !== change.shiftId) return { changed: false, refetch: false }
  if ((change.change === 'cancelled' || change.change === 'reassigned') && order.status === 'pending') {
    db.run('UPDATE orders SET status = ?, closed_at = ? WHERE order_id = ?', [change.change, at, change.orderId])
    db.run('UPDATE shifts SET manifest_version = MAX(COALESCE(manifest_version, 0), ?) WHERE shift_id = ?', [
      change.version,
      change.shiftId,
    ])
    return { changed: true, refetch: false }
  }
  return { changed: false, refetch: change.change === 'updated' }
}
