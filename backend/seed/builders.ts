import { randomInt } from 'node:crypto'
import type { Kysely } from 'kysely'
import { DEFAULT_MAX_ORDER_FEN, MAX_FEN } from '../../shared/money'
import { parcelBarcode } from '../../shared/waybill'
import { hashSecret } from '../auth/secrets'
import { issueToken } from '../auth/tokens'
import type { BackendSchema } from '../db/schema'
import { newDeviceRow } from '../devices/enrollment'
import { newId } from '../ids'

/**
 * Builders for the backend's reference data (depots, people, devices, routes), shared by the demo seed and by
 * the test fixtures. Every builder takes optional IDs so the demo seed is deterministic, and inserts with
 * ON CONFLICT DO NOTHING so running it again changes nothing.
 */

type Db = Kysely<BackendSchema>

export interface DepotSpec {
  id?: string
  name?: string
  city?: string
  district?: string
  timeZone?: string
  merchantName?: string
  merchantCity?: string
  unverifiedPerOrderFen?: number
  unverifiedPerShiftFen?: number
}

/** A depot (Suzhou Xiangcheng unless told otherwise), with its merchant identity and unverified-payment limits. */
export async function createDepot(db: Db, spec: DepotSpec = {}): Promise<{ depotId: string }> {
  const depotId = spec.id ?? newId('dep')
  await db
    .insertInto('depots')
    .values({
      id: depotId,
      name: spec.name ?? '京东物流苏州相城营业部',
      city: spec.city ?? '苏州',
      district: spec.district ?? '相城区',
      time_zone: spec.timeZone ?? 'Asia/Shanghai',
      merchant_name: spec.merchantName ?? 'JD Logistics Xiangcheng',
      merchant_city: spec.merchantCity ?? 'Suzhou',
      unverified_per_order_fen: spec.unverifiedPerOrderFen ?? 50_000,
      unverified_per_shift_fen: spec.unverifiedPerShiftFen ?? 200_000,
      created_at: new Date().toISOString(),
    })
    .onConflict((c) => c.column('id').doNothing())
    .execute()
  return { depotId }
}

export interface SupervisorSpec {
  id?: string
  depotId: string
  login: string
  password: string
  name?: string
}

/** A supervisor with a password (stored as scrypt); an existing login is left as it is. */
export async function createSupervisor(db: Db, spec: SupervisorSpec): Promise<{ supervisorId: string }> {
  const existing = await db.selectFrom('supervisors').select('id').where('login', '=', spec.login).executeTakeFirst()
  if (existing) return { supervisorId: existing.id }
  const supervisorId = spec.id ?? newId('sup')
  await db
    .insertInto('supervisors')
    .values({
      id: supervisorId,
      depot_id: spec.depotId,
      login: spec.login,
      name: spec.name ?? '张伟',
      password_hash: await hashSecret(spec.password),
      failed_logins: 0,
      locked_until_ms: null,
      created_at: new Date().toISOString(),
    })
    .onConflict((c) => c.doNothing())
    .execute()
  return { supervisorId }
}

export interface CourierSpec {
  id?: string
  depotId: string
  staffId: string
  pin: string
  name?: string
}

/** A courier with a PIN (stored as scrypt); an existing staff ID is left as it is. */
export async function createCourier(db: Db, spec: CourierSpec): Promise<{ courierId: string; staffId: string }> {
  const existing = await db.selectFrom('couriers').select('id').where('staff_id', '=', spec.staffId).executeTakeFirst()
  if (existing) return { courierId: existing.id, staffId: spec.staffId }
  const courierId = spec.id ?? newId('cou')
  await db
    .insertInto('couriers')
    .values({
      id: courierId,
      depot_id: spec.depotId,
      staff_id: spec.staffId,
      name: spec.name ?? '李强',
      pin_hash: await hashSecret(spec.pin),
      failed_pins: 0,
      locked_until_ms: null,
      created_at: new Date().toISOString(),
    })
    .onConflict((c) => c.doNothing())
    .execute()
  return { courierId, staffId: spec.staffId }
}

/**
 * An enrolled device, as if it had exchanged an enrollment code. With `token` the device gets that credential
 * (the demo device's is printed at start); otherwise a fresh one.
 */
export async function createDevice(
  db: Db,
  spec: { id?: string; depotId: string; label?: string; token?: string },
): Promise<{ deviceId: string; deviceToken: string }> {
  const deviceId = spec.id ?? newId('dev')
  const deviceToken = spec.token ?? issueToken('device')
  await db
    .insertInto('devices')
    .values(
      newDeviceRow({
        id: deviceId,
        depotId: spec.depotId,
        label: spec.label ?? 'Terminal',
        token: deviceToken,
        enrolledAt: new Date().toISOString(),
        lastContactMs: null,
      }),
    )
    .onConflict((c) => c.column('id').doNothing())
    .execute()
  return { deviceId, deviceToken }
}

export interface OrderSpec {
  id?: string
  /** `JDVA00012345678`; generated when left out. */
  waybill?: string
  /** Amount due at the door in fen; 0 for prepaid. */
  codFen: number
  recipientName?: string
  recipientPhone?: string
  /** Defaults to the stop's address. */
  address?: string
  /** How many parcels the order has (default 1). */
  parcels?: number
}

export interface StopSpec {
  id?: string
  address: string
  orders: OrderSpec[]
}

export interface RouteSpec {
  id?: string
  depotId: string
  courierId: string
  /** YYYY-MM-DD in the depot's time zone. */
  routeDate: string
  stops: StopSpec[]
  /** Builds deterministic IDs from this when given, e.g. the demo seed's date. */
  idSeed?: string
  /** The ceiling on one order's COD amount (the backend's `maxOrderFen`); ¥50,000 unless said. */
  maxOrderFen?: number
}

export interface BuiltOrder {
  orderId: string
  stopId: string
  waybill: string
  codFen: number
  parcels: { parcelId: string; barcode: string; index: number; count: number }[]
}

export interface BuiltRoute {
  routeId: string
  orders: BuiltOrder[]
}

/** A random waybill (`JDVB` and eleven digits), unlikely to meet another test's. */
export function freshWaybill(): string {
  return `JDVB${String(randomInt(0, 100_000_000_000)).padStart(11, '0')}`
}

/**
 * A courier's route for one day: stops in order, orders at each stop, parcels per order with their labels.
 * Inserting it again (same IDs) changes nothing. An order over the ceiling is refused (RangeError), and with it
 * the whole route.
 */
export async function createRoute(db: Db, spec: RouteSpec): Promise<BuiltRoute> {
  const ceiling = Math.min(spec.maxOrderFen ?? DEFAULT_MAX_ORDER_FEN, MAX_FEN)
  for (const order of spec.stops.flatMap((stop) => stop.orders)) {
    if (!Number.isSafeInteger(order.codFen) || order.codFen < 0) throw new RangeError('codFen must be whole fen')
    if (order.codFen > ceiling) throw new RangeError(`codFen ${order.codFen} is over the ceiling of ${ceiling} fen`)
  }
  const seed = spec.idSeed
  const routeId = spec.id ?? (seed ? `rte_${seed}` : newId('rte'))
  const now = new Date().toISOString()
  const built: BuiltOrder[] = []
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('routes')
      .values({
        id: routeId,
        depot_id: spec.depotId,
        courier_id: spec.courierId,
        route_date: spec.routeDate,
        version: 1,
        created_at: now,
      })
      .onConflict((c) => c.doNothing())
      .execute()
    let position = 0
    for (const [s, stop] of spec.stops.entries()) {
      const stopId = stop.id ?? (seed ? `stp_${seed}S${s + 1}` : newId('stp'))
      await trx
        .insertInto('stops')
        .values({ id: stopId, route_id: routeId, sequence: s + 1, address: stop.address })
        .onConflict((c) => c.doNothing())
        .execute()
      for (const [o, order] of stop.orders.entries()) {
        position++
        const orderId = order.id ?? (seed ? `ord_${seed}S${s + 1}O${o + 1}` : newId('ord'))
        const waybill = order.waybill ?? freshWaybill()
        const count = order.parcels ?? 1
        await trx
          .insertInto('orders')
          .values({
            id: orderId,
            depot_id: spec.depotId,
            route_id: routeId,
            stop_id: stopId,
            position,
            courier_id: spec.courierId,
            route_date: spec.routeDate,
            waybill,
            cod_fen: order.codFen,
            recipient_name: order.recipientName ?? '吴磊',
            recipient_phone: order.recipientPhone ?? '13812345678',
            address: order.address ?? stop.address,
            status: 'pending',
            attempt: 1,
            intent_attempts: 0,
            delivered_method: null,
            collected_cash_fen: 0,
            closed_at: null,
            closed_ms: null,
            failure_reason: null,
          })
          .onConflict((c) => c.doNothing())
          .execute()
        const parcels = Array.from({ length: count }, (_, i) => ({
          parcelId: seed ? `par_${seed}S${s + 1}O${o + 1}P${i + 1}` : newId('par'),
          barcode: parcelBarcode(waybill, i + 1, count),
          index: i + 1,
          count,
        }))
        await trx
          .insertInto('parcels')
          .values(parcels.map((p) => ({ id: p.parcelId, order_id: orderId, barcode: p.barcode, idx: p.index, count })))
          .onConflict((c) => c.doNothing())
          .execute()
        built.push({ orderId, stopId, waybill, codFen: order.codFen, parcels })
      }
    }
  })
  return { routeId, orders: built }
}
