import { randomInt } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { BackendSchema } from '../db/schema'
import { createEnrollmentCode } from '../devices/enrollment'
import { routeDateOf } from '../manifests/route-date'
import {
  createCourier,
  createDepot,
  createDevice,
  createRoute,
  createSupervisor,
  type BuiltOrder,
  type DepotSpec,
  type OrderSpec,
  type StopSpec,
} from '../seed/builders'

export { createCourier, createDepot, createDevice, createRoute, createSupervisor }
export type { BuiltOrder, DepotSpec, OrderSpec, StopSpec }

export interface CourierRouteOptions {
  /** An existing depot; a new one (Suzhou Xiangcheng) when left out. */
  depotId?: string
  depot?: DepotSpec
  staffId?: string
  pin?: string
  name?: string
  /** YYYY-MM-DD; today in Asia/Shanghai by default, which is the day a login today finds. */
  routeDate?: string
  /** The route's stops; or give `orders` for one stop per order. */
  stops?: StopSpec[]
  orders?: OrderSpec[]
  /** The ceiling on one order's amount, as the backend under test is configured; ¥50,000 unless said. */
  maxOrderFen?: number
}

export interface CourierWithRoute {
  depotId: string
  courierId: string
  staffId: string
  pin: string
  routeId: string
  routeDate: string
  orders: BuiltOrder[]
  /** A fresh single-use enrollment code for this depot. */
  enrollmentCode: string
}

/** A staff ID nobody else in the test database has. */
export const freshStaffId = (): string => `SZ${String(randomInt(0, 100_000_000)).padStart(8, '0')}`

/**
 * A courier with a route of chosen orders and an enrollment code, written straight into the backend's
 * database (the file or schema a running backend uses, in-process or not). For tests and the round runner.
 *
 * ```ts
 * const fixture = await createCourierWithRoute(db, { orders: [{ codFen: 6660 }, { codFen: 0, parcels: 2 }] })
 * ```
 */
export async function createCourierWithRoute(
  db: Kysely<BackendSchema>,
  options: CourierRouteOptions = {},
): Promise<CourierWithRoute> {
  const depotId = options.depotId ?? (await createDepot(db, options.depot)).depotId
  const pin = options.pin ?? '4321'
  const { courierId, staffId } = await createCourier(db, {
    depotId,
    staffId: options.staffId ?? freshStaffId(),
    pin,
    name: options.name ?? '李强',
  })
  const routeDate = options.routeDate ?? routeDateOf(Date.now(), 'Asia/Shanghai')
  const stops =
    options.stops ??
    (options.orders ?? [{ codFen: 6660 }]).map((order, i) => ({
      address: `苏州市相城区元和街道嘉元路${100 + i}号 玉成家园${i + 1}幢`,
      orders: [order],
    }))
  const route = await createRoute(db, { depotId, courierId, routeDate, stops, maxOrderFen: options.maxOrderFen })
  const { code } = await createEnrollmentCode(db, {
    depotId,
    createdBy: 'fixture',
    ttlMs: 24 * 60 * 60 * 1000,
    nowMs: Date.now(),
  })
  return {
    depotId,
    courierId,
    staffId,
    pin,
    routeId: route.routeId,
    routeDate,
    orders: route.orders,
    enrollmentCode: code,
  }
}

/** A supervisor login for a depot, with a password chosen here. */
export async function createSupervisorLogin(
  db: Kysely<BackendSchema>,
  depotId: string,
): Promise<{ login: string; password: string; supervisorId: string }> {
  const login = `sup.${randomInt(0, 1_000_000_000)}`
  const password = 'correct horse battery'
  const { supervisorId } = await createSupervisor(db, { depotId, login, password })
  return { login, password, supervisorId }
}
