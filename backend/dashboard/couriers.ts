import type { Kysely } from 'kysely'
import {
  DEFAULT_DAILY_TARGET,
  type CourierDay,
  type CouriersDayResponse,
  type DayFigures,
  type FailuresByReason,
} from '../../shared/api/dashboard'
import { FailureReason } from '../../shared/api/events'
import type { BackendSchema } from '../db/schema'
import { hourReader, instantOf } from './clock'
import { nearestRank } from './stats'
import type { DashboardCourierDayTable } from './schema'
import { orNull, storedCount, storedInstant, storedSigned, storedTarget, storedTotal } from './stored'

/** The hour the working day ends in the depot's time zone: projections run to it. */
export const WORKDAY_END_HOUR = 20

const HOUR_MS = 3_600_000
/** Below this much time since the first action, a pace per hour says nothing yet. */
const MIN_PACE_WINDOW_MS = 15 * 60_000

const iso = storedInstant

export interface DepotOfDay {
  id: string
  name: string
  time_zone: string
}

export interface CourierName {
  id: string
  staff_id: string
  name: string
}

/** The depot's couriers by ID (its index keeps this one short read). */
export async function couriersOfDepot(db: Kysely<BackendSchema>, depotId: string): Promise<Map<string, CourierName>> {
  const rows = await db
    .selectFrom('couriers')
    .select(['id', 'staff_id', 'name'])
    .where('depot_id', '=', depotId)
    .execute()
  return new Map(rows.map((row) => [row.id, row]))
}

export const courierRef = (couriers: Map<string, CourierName>, courierId: string) => {
  const courier = couriers.get(courierId)
  return { courierId, staffId: courier?.staff_id ?? '', name: courier?.name ?? courierId }
}

function noFailures(): FailuresByReason {
  return Object.fromEntries(FailureReason.options.map((reason) => [reason, 0])) as FailuresByReason
}

interface StopTally {
  orders: number
  closed: number
  firstScanMs: number | null
  lastClosedMs: number | null
}

interface Accumulated {
  day: DashboardCourierDayTable | null
  failures: FailuresByReason
  stops: Map<string, StopTally>
  ordersTotal: number
  ordersOpen: number
  deliveredAt: number[]
}

function emptyAccumulated(): Accumulated {
  return { day: null, failures: noFailures(), stops: new Map(), ordersTotal: 0, ordersOpen: 0, deliveredAt: [] }
}

/** Stops done and their durations, from the stop tallies of one courier (or of everyone). */
function stopFigures(stops: Iterable<StopTally>): { done: number; total: number; durations: number[] } {
  let done = 0
  let total = 0
  const durations: number[] = []
  for (const stop of stops) {
    if (stop.orders === 0) continue
    total++
    if (stop.closed < stop.orders) continue
    done++
    const duration =
      stop.firstScanMs !== null && stop.lastClosedMs !== null ? stop.lastClosedMs - stop.firstScanMs : Number.NaN
    if (duration >= 0 && duration <= Number.MAX_SAFE_INTEGER) durations.push(duration)
  }
  return { done, total, durations }
}

function figuresOf(
  acc: Accumulated,
  hourOf: (ms: number) => number,
  rollingEndMs: number | null,
): DayFigures & { averageRaw: number | null } {
  const day = acc.day
  const stops = stopFigures(acc.stops.values())
  const hourly = new Array<number>(24).fill(0)
  for (const ms of acc.deliveredAt) hourly[hourOf(ms)]!++
  const rolling =
    rollingEndMs === null ? 0 : acc.deliveredAt.filter((ms) => ms > rollingEndMs - HOUR_MS && ms <= rollingEndMs).length
  const delivered = storedCount(day?.delivered)
  const first = orNull(storedSigned)(day?.first_action_ms)
  const elapsed = first !== null && rollingEndMs !== null ? rollingEndMs - first : 0
  const pace = elapsed >= MIN_PACE_WINDOW_MS ? delivered / (elapsed / HOUR_MS) : null
  const average = pace !== null && Number.isFinite(pace) ? pace : null
  return {
    stops: { done: stops.done, total: stops.total },
    orders: { total: acc.ordersTotal, delivered, failed: storedCount(day?.failed), open: acc.ordersOpen },
    deliveriesPerHour: { hourly, rolling, average: average === null ? null : Math.round(average * 10) / 10 },
    stopTime: {
      medianMs: nearestRank(stops.durations, 50),
      p90Ms: nearestRank(stops.durations, 90),
      samples: stops.durations.length,
    },
    cod: {
      digitalFen: storedTotal(day?.digital_fen),
      digitalCount: storedCount(day?.digital_count),
      digitalAwaitingFen: storedTotal(day?.digital_awaiting_fen),
      digitalAwaitingCount: storedCount(day?.digital_awaiting_count),
      cashFen: storedTotal(day?.cash_fen),
      cashCount: storedCount(day?.cash_count),
      prepaidCount: storedCount(day?.prepaid_count),
    },
    failedByReason: acc.failures,
    firstActionAt: iso(first),
    lastActionAt: iso(day?.last_action_ms ?? null),
    averageRaw: average,
  }
}

/**
 * The per-courier view of a day: reads the courier-day summaries, the failure counts, the day's orders (stop and
 * status only, from a covering index) and the orders' scan and close times, all keyed by depot and day, and
 * computes stops, rates, stop-time percentiles and projections from them.
 */
export async function couriersOfDay(
  db: Kysely<BackendSchema>,
  depot: DepotOfDay,
  date: string,
  /** The supervisor's target for every courier; null: each courier's own route size. */
  target: number | null,
  nowMs: number,
  today: string,
): Promise<CouriersDayResponse> {
  const [days, failures, orders, times, couriers, targets] = await Promise.all([
    db
      .selectFrom('dashboard_courier_days')
      .selectAll()
      .where('depot_id', '=', depot.id)
      .where('route_date', '=', date)
      .execute(),
    db
      .selectFrom('dashboard_failures')
      .select(['courier_id', 'reason', 'failed'])
      .where('depot_id', '=', depot.id)
      .where('route_date', '=', date)
      .execute(),
    db
      .selectFrom('orders')
      .select(['courier_id', 'stop_id', 'status'])
      .where('depot_id', '=', depot.id)
      .where('route_date', '=', date)
      .execute(),
    db
      .selectFrom('dashboard_order_times')
      .select(['courier_id', 'stop_id', 'first_scan_ms', 'closed_ms', 'outcome'])
      .where('depot_id', '=', depot.id)
      .where('route_date', '=', date)
      .execute(),
    couriersOfDepot(db, depot.id),
    db
      .selectFrom('courier_targets')
      .select(['courier_id', 'target'])
      .where('depot_id', '=', depot.id)
      .where('route_date', '=', date)
      .execute(),
  ])
  // A target set for a courier wins over the day's target for everyone, which wins over the route's size.
  const ownTargets = new Map(
    targets.flatMap((row) => {
      const value = storedTarget(row.target)
      return value === null ? [] : [[row.courier_id, value] as const]
    }),
  )

  const byCourier = new Map<string, Accumulated>()
  const accOf = (courierId: string): Accumulated => {
    let acc = byCourier.get(courierId)
    if (!acc) byCourier.set(courierId, (acc = emptyAccumulated()))
    return acc
  }
  const stopOf = (acc: Accumulated, stopId: string): StopTally => {
    let stop = acc.stops.get(stopId)
    if (!stop) acc.stops.set(stopId, (stop = { orders: 0, closed: 0, firstScanMs: null, lastClosedMs: null }))
    return stop
  }
  for (const day of days) accOf(day.courier_id).day = day
  for (const failure of failures) {
    const reason = FailureReason.safeParse(failure.reason)
    if (reason.success) {
      const failures = accOf(failure.courier_id).failures
      failures[reason.data] = storedCount(failures[reason.data] + storedCount(failure.failed))
    }
  }
  for (const order of orders) {
    if (order.status === 'cancelled') continue
    const acc = accOf(order.courier_id)
    acc.ordersTotal++
    if (order.status === 'pending') acc.ordersOpen++
    const stop = stopOf(acc, order.stop_id)
    stop.orders++
    if (order.status === 'delivered' || order.status === 'failed') stop.closed++
  }
  for (const time of times) {
    const acc = accOf(time.courier_id)
    const stop = stopOf(acc, time.stop_id)
    const scanned = orNull(storedSigned)(time.first_scan_ms)
    const closed = orNull(storedSigned)(time.closed_ms)
    if (scanned !== null) stop.firstScanMs = stop.firstScanMs === null ? scanned : Math.min(stop.firstScanMs, scanned)
    if (closed !== null) stop.lastClosedMs = stop.lastClosedMs === null ? closed : Math.max(stop.lastClosedMs, closed)
    if (time.outcome === 'delivered' && closed !== null) acc.deliveredAt.push(closed)
  }

  const dayEndsMs = instantOf(date, WORKDAY_END_HOUR, depot.time_zone)
  const hourOf = hourReader(date, depot.time_zone)
  // Today runs to now; a past day to each courier's last action; a day to come has no pace yet.
  const past = date < today
  const future = date > today
  const courierDays: CourierDay[] = []
  for (const [courierId, acc] of byCourier) {
    const rollingEnd = future ? null : past ? orNull(storedSigned)(acc.day?.last_action_ms) : nowMs
    const { averageRaw, ...figures } = figuresOf(acc, hourOf, rollingEnd)
    const delivered = figures.orders.delivered
    let projected: number | null = null
    if (past) projected = delivered
    else if (!future && figures.firstActionAt !== null) {
      const hoursLeft = Math.max(0, dayEndsMs - nowMs) / HOUR_MS
      const pace = averageRaw ?? 0
      projected = storedCount(Math.min(delivered + figures.orders.open, Math.round(delivered + pace * hoursLeft)))
    }
    // Against the courier's own route: their target (the route's size unless the supervisor set one), the stops
    // left, when they finish at the pace so far, and how long since their last action (today only).
    const own = ownTargets.get(courierId)
    const courierTarget = own ?? target ?? Math.max(1, figures.orders.total)
    const targetSource =
      own !== undefined ? ('courier' as const) : target !== null ? ('supervisor' as const) : ('route' as const)
    const stopsLeft = storedCount(figures.stops.total - figures.stops.done)
    const lastAction = orNull(storedSigned)(acc.day?.last_action_ms)
    const isToday = !past && !future
    const pace = averageRaw ?? 0
    const expectedFinishMs =
      isToday && figures.firstActionAt !== null && pace > 0
        ? nowMs + (figures.orders.open / pace) * HOUR_MS
        : isToday && figures.orders.open === 0 && lastAction !== null
          ? lastAction
          : null
    courierDays.push({
      ...figures,
      courier: courierRef(couriers, courierId),
      rollingEndsAt: iso(rollingEnd),
      projection: { projected, onTrack: projected === null ? null : projected >= courierTarget },
      route: {
        target: courierTarget,
        targetSource,
        stopsLeft,
        expectedFinishAt: expectedFinishMs === null ? null : iso(Math.round(expectedFinishMs)),
        finishesInTime: expectedFinishMs === null ? null : expectedFinishMs <= dayEndsMs,
        idleMs: isToday && lastAction !== null ? storedCount(nowMs - lastAction) : null,
      },
    })
  }
  courierDays.sort(
    (a, b) =>
      a.courier.staffId.localeCompare(b.courier.staffId) || a.courier.courierId.localeCompare(b.courier.courierId),
  )

  return {
    depot: { depotId: depot.id, name: depot.name, timeZone: depot.time_zone },
    date,
    generatedAt: new Date(nowMs).toISOString(),
    target: target ?? DEFAULT_DAILY_TARGET,
    targetSource: target === null ? ('route' as const) : ('supervisor' as const),
    dayEndsAt: new Date(dayEndsMs).toISOString(),
    couriers: courierDays,
    totals: totalsOf([...byCourier.values()], courierDays),
  }
}

/** The depot's figures: sums of the couriers', stop times over every courier's stops, the summed pace. */
function totalsOf(accs: Accumulated[], courierDays: CourierDay[]): DayFigures {
  const stops = stopFigures(accs.flatMap((acc) => [...acc.stops.values()]))
  // Sums of the couriers' figures, kept inside the safe integers however odd what was stored.
  const sum = (pick: (day: CourierDay) => number): number =>
    storedTotal(courierDays.reduce((total, day) => total + pick(day), 0))
  const failedByReason = noFailures()
  for (const day of courierDays)
    for (const reason of FailureReason.options)
      failedByReason[reason] = storedCount(failedByReason[reason] + day.failedByReason[reason])
  const hourly = new Array<number>(24).fill(0)
  for (const day of courierDays) day.deliveriesPerHour.hourly.forEach((count, hour) => (hourly[hour]! += count))
  const paces = courierDays.map((day) => day.deliveriesPerHour.average).filter((pace): pace is number => pace !== null)
  const firsts = accs
    .map((acc) => orNull(storedSigned)(acc.day?.first_action_ms))
    .filter((ms): ms is number => ms !== null)
  const lasts = accs
    .map((acc) => orNull(storedSigned)(acc.day?.last_action_ms))
    .filter((ms): ms is number => ms !== null)
  return {
    stops: { done: stops.done, total: stops.total },
    orders: {
      total: sum((d) => d.orders.total),
      delivered: sum((d) => d.orders.delivered),
      failed: sum((d) => d.orders.failed),
      open: sum((d) => d.orders.open),
    },
    deliveriesPerHour: {
      hourly,
      rolling: sum((d) => d.deliveriesPerHour.rolling),
      average:
        paces.length === 0
          ? null
          : Math.min(Number.MAX_SAFE_INTEGER, Math.round(paces.reduce((a, b) => a + b, 0) * 10) / 10),
    },
    stopTime: {
      medianMs: nearestRank(stops.durations, 50),
      p90Ms: nearestRank(stops.durations, 90),
      samples: stops.durations.length,
    },
    cod: {
      digitalFen: sum((d) => d.cod.digitalFen),
      digitalCount: sum((d) => d.cod.digitalCount),
      digitalAwaitingFen: sum((d) => d.cod.digitalAwaitingFen),
      digitalAwaitingCount: sum((d) => d.cod.digitalAwaitingCount),
      cashFen: sum((d) => d.cod.cashFen),
      cashCount: sum((d) => d.cod.cashCount),
      prepaidCount: sum((d) => d.cod.prepaidCount),
    },
    failedByReason,
    firstActionAt: iso(firsts.length ? Math.min(...firsts) : null),
    lastActionAt: iso(lasts.length ? Math.max(...lasts) : null),
  }
}
