import { z } from 'zod'
import { SignedTotalFen, TotalFen } from '../money'
import { CourierRef, RouteDay, SupervisorRef } from './dashboard'
import { CourierId, DeviceId, OrderId, Timestamp } from './ids'

/**
 * Day close (日结): each courier's day is closed by a supervisor, after which nothing of it changes. The report
 * is the day's figures frozen at the close with a checksum over them; an event for the day that arrives after
 * the close is applied and listed against the closed day (and in the work queue), never folded in unseen.
 * The day is the route day in the depot's time zone (Asia/Shanghai for the depots here).
 */

const Count = z.number().int().min(0)

/** One line of the report that needs explaining: a hand-in difference, a short amount at a door, money owed. */
export const DayDiscrepancy = z.object({
  kind: z.enum(['handin', 'shortfall', 'owed_unverified']),
  /** Signed: short is negative (received under expected, a customer short), owed is negative too. */
  amountFen: SignedTotalFen,
  waybill: z.string().nullable(),
  note: z.string().nullable(),
})
export type DayDiscrepancy = z.infer<typeof DayDiscrepancy>

/**
 * The figures of one courier's day: everything the checksum covers. Integers and strings only, so the canonical
 * form (below) is the same wherever it is computed.
 */
export const DayCloseFigures = z.object({
  date: RouteDay,
  courierId: CourierId,
  staffId: z.string(),
  delivered: Count,
  failed: Count,
  digitalCount: Count,
  /** Digital money the acquirer confirmed. */
  digitalFen: TotalFen,
  /** Digital deliveries whose payment the acquirer had not confirmed yet. */
  digitalAwaitingCount: Count,
  digitalAwaitingFen: TotalFen,
  cashCount: Count,
  cashFen: TotalFen,
  prepaidCount: Count,
  /** Refunds of the day's orders that the acquirer confirmed, and those still under way. */
  refundCount: Count,
  refundedFen: TotalFen,
  refundPendingFen: TotalFen,
  /** Cash deliveries where the customer handed over less than due, as the courier confirmed at the door. */
  shortfallCount: Count,
  shortfallFen: TotalFen,
  /** "To be verified" payments the acquirer never saw: the courier owes them. */
  owedCount: Count,
  owedFen: TotalFen,
  declaredFen: TotalFen.nullable(),
  receivedFen: TotalFen.nullable(),
  /** received − cash expected, once received. */
  handinDifferenceFen: SignedTotalFen.nullable(),
  discrepancies: z.array(DayDiscrepancy),
  /** Who closed it, and when (ms); null on the live report of an open day. */
  closedBy: z.string().nullable(),
  closedMs: z.number().int().min(0).nullable(),
})
export type DayCloseFigures = z.infer<typeof DayCloseFigures>

/** An event for a closed day that arrived after the close: applied, and listed here against that day. */
export const LateEvent = z.object({
  deviceId: DeviceId,
  seq: z.number().int().min(0),
  type: z.string(),
  orderId: OrderId.nullable(),
  waybill: z.string().nullable(),
  occurredAt: Timestamp,
  receivedAt: Timestamp,
})
export type LateEvent = z.infer<typeof LateEvent>

export const DayReport = z.object({
  courier: CourierRef,
  status: z.enum(['open', 'closed']),
  figures: DayCloseFigures,
  /** SHA-256 (hex) of `canonicalDayCloseFigures(figures)`. */
  checksum: z.string().regex(/^[0-9a-f]{64}$/),
  closedBy: SupervisorRef.nullable(),
  closedAt: Timestamp.nullable(),
  note: z.string().nullable(),
  lateEvents: z.array(LateEvent),
})
export type DayReport = z.infer<typeof DayReport>

export const DayParams = z.object({ date: RouteDay })

export const DayReportQuery = z.object({ courierId: CourierId.optional() }).strict()
export type DayReportQuery = z.infer<typeof DayReportQuery>

/** `GET /api/v1/depot/days/:date/report`: every courier of the day (or one), closed or not. */
export const DayReportResponse = z.object({
  date: RouteDay,
  depotName: z.string(),
  timeZone: z.string(),
  generatedAt: Timestamp,
  couriers: z.array(DayReport),
})
export type DayReportResponse = z.infer<typeof DayReportResponse>

/**
 * `POST /api/v1/depot/days/:date/close`: one courier's day (`courierId`), or every courier of the depot that day.
 * Closing a closed day again changes nothing and answers the report as it was closed (`newlyClosed: false`).
 */
export const CloseDayRequest = z
  .object({
    courierId: CourierId.optional(),
    note: z.string().trim().max(500).optional(),
  })
  .strict()
export type CloseDayRequest = z.input<typeof CloseDayRequest>

export const CloseDayResponse = z.object({
  date: RouteDay,
  /** Courier IDs this request closed; the others in `reports` were already closed. */
  newlyClosed: z.array(CourierId),
  reports: z.array(DayReport),
})
export type CloseDayResponse = z.infer<typeof CloseDayResponse>

export const DAY_CLOSE_PATHS = {
  close: '/depot/days/:date/close',
  report: '/depot/days/:date/report',
} as const

/**
 * The canonical form the checksum is taken over: the figures as JSON with every object's keys in code-point order,
 * no whitespace, integers written plainly, strings as `JSON.stringify` writes them (UTF-8, no escaping beyond
 * JSON's own). Arrays keep their order (discrepancies are sorted by kind, waybill, amount). Anyone can recompute
 * it: `jq -cjS .figures report.json | sha256sum` gives the same hex digest.
 */
export function canonicalDayCloseFigures(figures: DayCloseFigures): string {
  return canonicalJson(figures)
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
