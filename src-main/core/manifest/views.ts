import type { DeliveryMethod, FailureReason, StopMoveReason } from '../../../shared/api/events'
import { proofView } from '../proof/store'
import { splitView } from '../split/store'
import type { IntentStatus, OrderStatus } from '../../../shared/api/shift'
import type { SettlementVerdict } from '../../../shared/api/stream'
import type {
  OrderFlag,
  OrderFlagKind,
  OrderView,
  PaymentView,
  RouteStop,
  RouteView,
  ShiftCounters,
} from '../../../shared/ipc/contract'
import { TuotouError } from '../../../shared/errors'
import type { DeviceDb } from '../db'
import type { ShiftRow } from '../shift/store'

export interface OrderRow {
  order_id: string
  shift_id: string
  stop_id: string
  position: number
  waybill: string
  cod_fen: number
  masked_name: string
  masked_phone: string
  address: string
  status: OrderStatus
  attempt: number
  method: DeliveryMethod | null
  collected_fen: number | null
  failure_reason: FailureReason | null
  closed_at: string | null
}

export interface ParcelRow {
  parcel_id: string
  order_id: string
  barcode: string
  idx: number
  count: number
  scanned_at: string | null
}

export interface IntentRow {
  intent_id: string
  order_id: string
  attempt: number
  amount_fen: number
  qr_payload: string
  status: IntentStatus
  expires_at: string
  paid_at: string | null
  paid_fen: number | null
  transaction_id: string | null
  shown_at: string | null
  cancelled_at: string | null
  is_current: number
  /** How the device learned it was paid; null while it was not (or only "paid, to be verified"). */
  confirmed_via: 'push' | 'poll' | 'receipt' | null
  receipt: string | null
  /** When the courier recorded "paid, to be verified". */
  unverified_at: string | null
  /** The backend's settlement verdict (joined from `settlements`). */
  settlement: SettlementVerdict | null
}

/** Intents with their settlement verdict, which lives in its own table because it arrives on its own. */
const INTENT_SELECT = `SELECT i.*, s.verdict AS settlement FROM intents i
  LEFT JOIN settlements s ON s.intent_id = i.intent_id`

interface FlagRow {
  order_id: string
  waybill: string
  kind: OrderFlagKind
  intent_id: string | null
  amount_fen: number
  source: 'device' | 'backend'
  raised_at: string
}

export function findOrder(db: DeviceDb, orderId: string): OrderRow | null {
  return db.get<OrderRow>('SELECT * FROM orders WHERE order_id = ?', [orderId]) ?? null
}

/** The order, or `order.not_found` when this device's manifest does not hold it. */
export function requireOrder(db: DeviceDb, orderId: string): OrderRow {
  const order = findOrder(db, orderId)
  if (!order) throw new TuotouError('order.not_found', `order ${orderId} is not on this device's manifest`, { orderId })
  return order
}

/** The order, still open for delivery; `order.closed` once it was delivered or failed. */
export function requirePendingOrder(db: DeviceDb, orderId: string): OrderRow {
  const order = requireOrder(db, orderId)
  if (order.status !== 'pending') {
    throw new TuotouError('order.closed', `order ${order.waybill} is ${order.status}`, {
      waybill: order.waybill,
      status: order.status,
    })
  }
  return order
}

export function orderParcels(db: DeviceDb, orderId: string): ParcelRow[] {
  return db.all<ParcelRow>('SELECT * FROM parcels WHERE order_id = ? ORDER BY idx', [orderId])
}

/** The intent a QR is shown from: the order's current one (a renewal replaces it). */
export function currentIntent(db: DeviceDb, orderId: string): IntentRow | null {
  return db.get<IntentRow>(`${INTENT_SELECT} WHERE i.order_id = ? AND i.is_current = 1`, [orderId]) ?? null
}

export function findIntent(db: DeviceDb, intentId: string): IntentRow | null {
  return db.get<IntentRow>(`${INTENT_SELECT} WHERE i.intent_id = ?`, [intentId]) ?? null
}

export function paymentView(intent: IntentRow, waybill: string): PaymentView {
  return {
    intentId: intent.intent_id,
    orderId: intent.order_id,
    waybill,
    amountFen: intent.amount_fen,
    qrPayload: intent.qr_payload,
    status: intent.status,
    expiresAt: intent.expires_at,
    paidAt: intent.paid_at,
    paidFen: intent.paid_fen,
    transactionId: intent.transaction_id,
    shownAt: intent.shown_at,
    cancelledByCourier: intent.cancelled_at !== null,
    confirmation: confirmationOf(intent),
    settlement: intent.settlement,
  }
}

function confirmationOf(intent: IntentRow): PaymentView['confirmation'] {
  if (intent.paid_at !== null) return intent.confirmed_via === 'receipt' ? 'receipt' : 'acquirer'
  return intent.unverified_at !== null ? 'unverified' : null
}

function flagView(row: FlagRow): OrderFlag {
  return {
    orderId: row.order_id,
    waybill: row.waybill,
    kind: row.kind,
    intentId: row.intent_id,
    amountFen: row.amount_fen,
    source: row.source,
    raisedAt: row.raised_at,
  }
}

const FLAG_SELECT = `SELECT f.order_id, o.waybill, f.kind, f.intent_id, f.amount_fen, f.source, f.raised_at
  FROM order_flags f JOIN orders o ON o.order_id = f.order_id`

export function orderFlags(db: DeviceDb, orderId: string): OrderFlag[] {
  return db.all<FlagRow>(`${FLAG_SELECT} WHERE f.order_id = ? ORDER BY f.flag_id`, [orderId]).map(flagView)
}

/**
 * The shift's flags, one per order and kind: the device and the backend often flag the same late payment, and
 * the courier needs to read it once (the backend's word wins). `open` leaves out those the depot closed.
 */
export function shiftFlags(db: DeviceDb, shiftId: string, which: 'all' | 'open' = 'all'): OrderFlag[] {
  const open =
    which === 'open'
      ? `AND NOT EXISTS (SELECT 1 FROM order_flags r WHERE r.order_id = f.order_id AND r.kind = f.kind
           AND r.resolved_at IS NOT NULL)`
      : ''
  return db
    .all<FlagRow>(
      `${FLAG_SELECT} WHERE o.shift_id = ? AND NOT EXISTS (
         SELECT 1 FROM order_flags b WHERE b.order_id = f.order_id AND b.kind = f.kind
           AND f.source = 'device' AND b.source = 'backend') ${open}
       ORDER BY f.flag_id`,
      [shiftId],
    )
    .map(flagView)
}

/** The flag just raised for an order, for the push that tells the courier. */
export function latestFlag(db: DeviceDb, orderId: string): OrderFlag | null {
  const row = db.get<FlagRow>(`${FLAG_SELECT} WHERE f.order_id = ? ORDER BY f.flag_id DESC LIMIT 1`, [orderId])
  return row ? flagView(row) : null
}

export function orderView(db: DeviceDb, order: OrderRow): OrderView {
  const parcels = orderParcels(db, order.order_id)
  const stop = db.get<{ sequence: number }>('SELECT sequence FROM stops WHERE stop_id = ?', [order.stop_id])!
  const intent = currentIntent(db, order.order_id)
  const scannedCount = parcels.filter((parcel) => parcel.scanned_at !== null).length
  return {
    orderId: order.order_id,
    stopId: order.stop_id,
    stopSequence: stop.sequence,
    waybill: order.waybill,
    codFen: order.cod_fen,
    maskedName: order.masked_name,
    maskedPhone: order.masked_phone,
    address: order.address,
    status: order.status,
    attempt: order.attempt,
    parcels: parcels.map((parcel) => ({
      parcelId: parcel.parcel_id,
      barcode: parcel.barcode,
      index: parcel.idx,
      count: parcel.count,
      scanned: parcel.scanned_at !== null,
    })),
    scannedCount,
    readyToCollect: order.status === 'pending' && scannedCount === parcels.length,
    method: order.method,
    collectedFen: order.collected_fen,
    failureReason: order.failure_reason,
    closedAt: order.closed_at,
    payment: intent ? paymentView(intent, order.waybill) : null,
    flags: orderFlags(db, order.order_id),
    calls: db.all<{ at: string; number: string }>(
      'SELECT at, number FROM call_attempts WHERE order_id = ? AND attempt = ? ORDER BY id',
      [order.order_id, order.attempt],
    ),
    proof: proofView(db, order),
    split: splitView(db, order),
  }
}

export function shiftCounters(db: DeviceDb, shiftId: string): ShiftCounters {
  const row = db.get<{ delivered: number; failed: number; to_go: number; digital: number; cash: number }>(
    `SELECT
       COALESCE(SUM(status = 'delivered'), 0) AS delivered,
       COALESCE(SUM(status = 'failed'), 0) AS failed,
       COALESCE(SUM(status = 'pending'), 0) AS to_go,
       COALESCE(SUM(CASE WHEN status = 'delivered' AND method = 'digital' THEN collected_fen
                         WHEN status = 'delivered' AND method = 'split' THEN cod_fen - collected_fen
                         ELSE 0 END), 0) AS digital,
       COALESCE(SUM(CASE WHEN status = 'delivered' AND method IN ('cash', 'split') THEN collected_fen ELSE 0 END), 0)
         AS cash
     FROM orders WHERE shift_id = ?`,
    [shiftId],
  )!
  return { delivered: row.delivered, failed: row.failed, toGo: row.to_go, digitalFen: row.digital, cashFen: row.cash }
}

/** The whole route in order, built in three queries so a 150-stop round stays quick. */
export function routeView(db: DeviceDb, shift: ShiftRow): RouteView {
  const stops = db.all<{ stop_id: string; sequence: number; address: string; skipped_reason: StopMoveReason | null }>(
    'SELECT stop_id, sequence, address, skipped_reason FROM stops WHERE shift_id = ? ORDER BY sequence',
    [shift.shift_id],
  )
  const orders = db.all<OrderRow & { parcel_count: number; scanned_count: number }>(
    `SELECT o.*, COUNT(p.parcel_id) AS parcel_count, COUNT(p.scanned_at) AS scanned_count
     FROM orders o LEFT JOIN parcels p ON p.order_id = o.order_id
     WHERE o.shift_id = ? GROUP BY o.order_id ORDER BY o.stop_id, o.position`,
    [shift.shift_id],
  )
  const byStop = new Map<string, typeof orders>()
  for (const order of orders) {
    const list = byStop.get(order.stop_id) ?? []
    list.push(order)
    byStop.set(order.stop_id, list)
  }
  let nextStopId: string | null = null
  const routeStops: RouteStop[] = stops.map((stop) => {
    const list = byStop.get(stop.stop_id) ?? []
    const pending = list.filter((order) => order.status === 'pending').length
    if (pending > 0 && nextStopId === null) nextStopId = stop.stop_id
    return {
      stopId: stop.stop_id,
      sequence: stop.sequence,
      address: stop.address,
      status: pending === 0 ? 'done' : pending === list.length ? 'pending' : 'partial',
      codFen: list.reduce((sum, order) => sum + order.cod_fen, 0),
      parcelCount: list.reduce((sum, order) => sum + order.parcel_count, 0),
      skippedReason: pending > 0 ? stop.skipped_reason : null,
      orders: list.map((order) => ({
        orderId: order.order_id,
        waybill: order.waybill,
        maskedName: order.masked_name,
        codFen: order.cod_fen,
        parcelCount: order.parcel_count,
        scannedCount: order.scanned_count,
        status: order.status,
        method: order.method,
      })),
    }
  })
  return {
    shiftId: shift.shift_id,
    routeDate: shift.route_date ?? '',
    manifestVersion: shift.manifest_version ?? 0,
    stops: routeStops,
    counters: shiftCounters(db, shift.shift_id),
    nextStopId,
  }
}
