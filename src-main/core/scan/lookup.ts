import type { ScanRefusal, ScanSource } from '../../../shared/api/events'
import { proofMet } from '../proof/require'
import type { Collecting, ScanOutcome } from '../../../shared/ipc/contract'
import { TuotouError } from '../../../shared/errors'
import { parseBarcode, type ParsedBarcode } from '../../../shared/waybill'
import type { DeviceDb } from '../db'
import { completeDelivery } from '../delivery/complete'
import { orderParcels, orderView, type OrderRow, type ParcelRow } from '../manifest/views'
import { appendEvent } from '../outbox/store'
import type { ShiftRow } from '../shift/store'

export interface ScanResult {
  outcome: ScanOutcome
  /** Orders whose state changed, for the route to reload. */
  changedOrderIds: string[]
  /** The order the scan was about, when it named one (accepted, or refused as delivered or closed). */
  orderId: string | null
}

/** Logs a refused scan (`scan.refused`, the code cut to 64 characters) and says why, inside the caller's transaction. */
export function refuseScan(
  db: DeviceDb,
  shift: ShiftRow,
  raw: string,
  source: ScanSource,
  reason: ScanRefusal,
  at: string,
  order: OrderRow | null,
): ScanResult {
  const code = raw.trim().slice(0, 64)
  appendEvent(db, { type: 'scan.refused', payload: { code, reason, source }, shiftId: shift.shift_id, occurredAt: at })
  return {
    outcome: {
      outcome: 'refused',
      reason,
      code,
      waybill: order?.waybill ?? null,
      orderStatus: order && reason === 'order_closed' ? order.status : null,
    },
    changedOrderIds: [],
    orderId: order?.order_id ?? null,
  }
}

function findTarget(
  db: DeviceDb,
  shift: ShiftRow,
  parsed: ParsedBarcode,
): { order: OrderRow | null; parcel: ParcelRow | null } {
  const order =
    db.get<OrderRow>('SELECT * FROM orders WHERE shift_id = ? AND waybill = ?', [shift.shift_id, parsed.waybill]) ??
    null
  if (!order) return { order: null, parcel: null }
  const parcels = orderParcels(db, order.order_id)
  if (parsed.kind === 'parcel') {
    return { order, parcel: parcels.find((parcel) => parcel.barcode === parsed.barcode) ?? null }
  }
  // A bare waybill names a parcel only when the order has just one.
  return { order, parcel: parcels.length === 1 ? parcels[0]! : null }
}

/**
 * Looks a scanned code up on the manifest and records it, in one transaction: an accepted parcel is marked
 * scanned (`parcel.scanned`), a refused code is logged (`scan.refused`) with the reason, and a prepaid order
 * completes on its last parcel. Nothing needs the network. While `collecting` (the order in hand has its QR or
 * cash panel open), a parcel of another order records nothing and answers `conflict`, so the courier decides.
 */
export function scanCode(
  db: DeviceDb,
  shift: ShiftRow,
  raw: string,
  source: ScanSource,
  at: string,
  collecting: { orderId: string; mode: Collecting } | null = null,
): ScanResult {
  return db.transaction(() => {
    let parsed: ParsedBarcode
    try {
      parsed = parseBarcode(raw)
    } catch (error) {
      if (error instanceof TuotouError && error.code === 'scan.malformed') {
        return refuseScan(db, shift, raw, source, 'malformed', at, null)
      }
      throw error
    }
    const { order, parcel } = findTarget(db, shift, parsed)
    if (!order) return refuseScan(db, shift, raw, source, 'not_on_manifest', at, null)
    if (order.status === 'delivered') return refuseScan(db, shift, raw, source, 'already_delivered', at, order)
    if (order.status !== 'pending') return refuseScan(db, shift, raw, source, 'order_closed', at, order)
    if (parsed.kind === 'parcel' && !parcel) return refuseScan(db, shift, raw, source, 'not_on_manifest', at, order)
    if (collecting && collecting.orderId !== order.order_id) {
      const current = db.get<OrderRow>('SELECT * FROM orders WHERE order_id = ?', [collecting.orderId])
      if (current) {
        return {
          outcome: {
            outcome: 'conflict',
            code: raw.trim().slice(0, 64),
            order: orderView(db, order),
            current: orderView(db, current),
            collecting: collecting.mode,
          },
          changedOrderIds: [],
          orderId: order.order_id,
        }
      }
    }

    let newlyScanned = false
    if (parcel && parcel.scanned_at === null) {
      db.run('UPDATE parcels SET scanned_at = ? WHERE parcel_id = ? AND scanned_at IS NULL', [at, parcel.parcel_id])
      appendEvent(db, {
        type: 'parcel.scanned',
        payload: { orderId: order.order_id, parcelId: parcel.parcel_id, barcode: parcel.barcode, source },
        shiftId: shift.shift_id,
        occurredAt: at,
      })
      newlyScanned = true
    }
    const parcels = orderParcels(db, order.order_id)
    let completed = false
    if (order.cod_fen === 0 && parcels.every((p) => p.scanned_at !== null) && proofMet(db, order)) {
      completeDelivery(db, order, { method: 'prepaid', collectedFen: 0, intentId: null }, at)
      completed = true
    }
    const fresh = db.get<OrderRow>('SELECT * FROM orders WHERE order_id = ?', [order.order_id])!
    return {
      outcome: {
        outcome: 'accepted',
        order: orderView(db, fresh),
        parcelIndex: parcel?.idx ?? null,
        newlyScanned,
        completed,
      },
      changedOrderIds: newlyScanned || completed ? [order.order_id] : [],
      orderId: order.order_id,
    }
  })
}
