import { z } from 'zod'
import { Fen, SignedTotalFen, TotalFen } from '../money'
import { FailureReason } from './events'
import { DeviceBattery, DeviceRetirement } from './depot-devices'
import { CourierId, DepotId, DeviceId, IntentId, OrderId, SupervisorId, Timestamp } from './ids'
import { FlagKind } from './stream'

/**
 * The depot dashboard's endpoints, `/api/v1/depot/dashboard/…` (supervisor token; a courier's or a device's
 * token is refused 403). Every figure is for the supervisor's own depot and one route day. Times are what the
 * courier did (`occurredAt`), never when the device synced; money is integer fen.
 */

/** A route day, `YYYY-MM-DD`, in the depot's time zone. */
export const RouteDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-03-01')
  .refine((text) => {
    const [year, month, day] = text.split('-').map(Number) as [number, number, number]
    const date = new Date(Date.UTC(year, month - 1, day))
    return year >= 2000 && year <= 2100 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  }, 'is not a calendar day between 2000 and 2100')
export type RouteDay = z.infer<typeof RouteDay>

/** The deliveries a courier is expected to make in a day, unless the supervisor sets another target. */
export const DEFAULT_DAILY_TARGET = 150

/** A whole number in a query string, e.g. `?target=150`: digits only, so `1e2`, `-1` and `0x10` are refused. */
const QueryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))

/** `?date=YYYY-MM-DD`; today in the depot's time zone when left out. */
export const DashboardDayQuery = z.object({ date: RouteDay.optional() }).strict()
export type DashboardDayQuery = z.infer<typeof DashboardDayQuery>

/** `?date=…&target=…`: the per-courier view, projected against `target` deliveries (150 by default). */
export const CouriersDayQuery = z.object({ date: RouteDay.optional(), target: QueryInt(1, 1000).optional() }).strict()
export type CouriersDayQuery = z.input<typeof CouriersDayQuery>

const Count = z.number().int().min(0)
/** A difference of money that may be negative (short) or positive (over). */
export const SignedFen = SignedTotalFen

export const CourierRef = z.object({ courierId: CourierId, staffId: z.string(), name: z.string() })
export type CourierRef = z.infer<typeof CourierRef>

export const DashboardDepot = z.object({ depotId: DepotId, name: z.string(), timeZone: z.string() })
export type DashboardDepot = z.infer<typeof DashboardDepot>

/** Deliveries per failure reason, every reason present. */
export const FailuresByReason = z.record(FailureReason, Count)
export type FailuresByReason = z.infer<typeof FailuresByReason>

/** COD by method, totals of the day. Digital money counts only once the acquirer confirmed it; until then it is "awaiting". */
export const CodByMethod = z.object({
  digitalFen: TotalFen,
  digitalCount: Count,
  /** Delivered digitally on the device's word ("paid, to be verified", an offline receipt) and not yet confirmed. */
  digitalAwaitingFen: TotalFen,
  digitalAwaitingCount: Count,
  cashFen: TotalFen,
  cashCount: Count,
  prepaidCount: Count,
})
export type CodByMethod = z.infer<typeof CodByMethod>

/** The figures of a day, for one courier or the whole depot. */
export const DayFigures = z.object({
  /** A stop is done when every order on it (cancelled ones aside) was delivered or failed. */
  stops: z.object({ done: Count, total: Count }),
  orders: z.object({ total: Count, delivered: Count, failed: Count, open: Count }),
  deliveriesPerHour: z.object({
    /** Deliveries completed in each hour of the day, 00:00–01:00 first, in the depot's time zone. */
    hourly: z.array(Count).length(24),
    /** Deliveries in the 60 minutes up to `rollingEndsAt` (now, or the last action of a past day). */
    rolling: Count,
    /** Deliveries per hour since the first action of the day. */
    average: z.number().min(0).nullable(),
  }),
  /** From the first scan at a stop to its last completion, courier's clock; done stops only. */
  stopTime: z.object({ medianMs: Count.nullable(), p90Ms: Count.nullable(), samples: Count }),
  cod: CodByMethod,
  failedByReason: FailuresByReason,
  firstActionAt: Timestamp.nullable(),
  lastActionAt: Timestamp.nullable(),
})
export type DayFigures = z.infer<typeof DayFigures>

export const CourierDay = DayFigures.extend({
  courier: CourierRef,
  /** When the figure is measured to: now, or for a past day the courier's last action. */
  rollingEndsAt: Timestamp.nullable(),
  /**
   * Deliveries expected by the end of the working day at the pace so far, never more than the orders left;
   * null for a day not started. `onTrack` compares it with the target.
   */
  projection: z.object({ projected: Count.nullable(), onTrack: z.boolean().nullable() }),
  /** Progress against the courier's own route ("who is behind"). */
  route: z.object({
    /** The supervisor's target, or the route's size (its orders) when none was set. */
    target: z.number().int().min(1),
    /**
     * Where `target` comes from: `courier`, set for this courier and day (`PUT …/targets/:courierId`); `supervisor`,
     * the day's target for everyone (`?target`); `route`, the courier's route size.
     */
    targetSource: z.enum(['courier', 'supervisor', 'route']),
    stopsLeft: Count,
    /** When the open orders are done at the pace so far (today only; null before a first delivery). */
    expectedFinishAt: Timestamp.nullable(),
    /** Whether that is before the working day ends (`dayEndsAt`). */
    finishesInTime: z.boolean().nullable(),
    /** Since the courier's last action, today only. */
    idleMs: Count.nullable(),
  }),
})
export type CourierDay = z.infer<typeof CourierDay>

/** `GET /api/v1/depot/dashboard/couriers?date&target`. */
export const CouriersDayResponse = z.object({
  depot: DashboardDepot,
  date: RouteDay,
  generatedAt: Timestamp,
  target: z.number().int().min(1),
  /** `route`: no target was asked for, so each courier is held to their own route's size (`route.target`). */
  targetSource: z.enum(['route', 'supervisor']),
  /** The end of the working day the projection runs to. */
  dayEndsAt: Timestamp,
  couriers: z.array(CourierDay),
  totals: DayFigures,
})
export type CouriersDayResponse = z.infer<typeof CouriersDayResponse>

/** How far a device's clock is from the backend's, as last measured, and what that did to the day's events. */
export const DeviceClock = z.object({
  /** Backend clock minus device clock, ms; null while never measured. */
  offsetMs: z.number().int().nullable(),
  /** `events`: the offset the device measured and sent with its events; `heartbeat`: its clock when it beat. */
  source: z.enum(['events', 'heartbeat']).nullable(),
  measuredAt: Timestamp.nullable(),
  /** Further off than `CLOCK_SKEW_WARNING_MS` (two minutes). */
  skewed: z.boolean(),
  /** The day's events whose time fell before their shift or after their receipt, counted at the bound instead. */
  adjustedEvents: Count,
})
export type DeviceClock = z.infer<typeof DeviceClock>

/** `GET /api/v1/depot/dashboard/devices?date`: each device's backlog from its heartbeat, and its last contact. */
export const DeviceStatus = z.object({
  deviceId: DeviceId,
  label: z.string(),
  /** The courier whose latest shift of the day is on this device. */
  courier: CourierRef.nullable(),
  appVersion: z.string().nullable(),
  /** Events the device holds unsent, as its last heartbeat said. */
  pendingCount: Count.nullable(),
  oldestPendingAt: Timestamp.nullable(),
  /** How old the oldest unsent event is now (it keeps ageing while the device is out of coverage). */
  oldestPendingAgeMs: Count.nullable(),
  lastSyncAt: Timestamp.nullable(),
  heartbeatAt: Timestamp.nullable(),
  lastContactAt: Timestamp.nullable(),
  lastContactAgeMs: Count.nullable(),
  /** Highest event sequence the backend holds for it. */
  ackedSeq: Count,
  clock: DeviceClock,
  /** The battery at the device's last heartbeat, when it could read it. */
  battery: DeviceBattery.nullable(),
  /** Retired by the depot: kept in the list with its history; its token no longer works. */
  retired: DeviceRetirement.nullable(),
})
export type DeviceStatus = z.infer<typeof DeviceStatus>

export const DevicesStatusResponse = z.object({
  date: RouteDay,
  generatedAt: Timestamp,
  devices: z.array(DeviceStatus),
})
export type DevicesStatusResponse = z.infer<typeof DevicesStatusResponse>

export const SettlementStatus = z.enum(['pending', 'verified', 'not_found', 'amount_mismatch'])
export type SettlementStatus = z.infer<typeof SettlementStatus>

/** A device's claim about a digital payment, settled against the acquirer's records. */
export const SettlementItem = z.object({
  intentId: IntentId,
  orderId: OrderId,
  waybill: z.string(),
  courier: CourierRef.nullable(),
  /** unverified: "paid, to be verified"; confirmed: the device saw a confirmation the backend had not. */
  kind: z.enum(['unverified', 'confirmed']),
  claimedFen: Fen,
  status: SettlementStatus,
  transactionId: z.string().nullable(),
  attempts: Count,
  lastError: z.string().nullable(),
  createdAt: Timestamp,
  settledAt: Timestamp.nullable(),
})
export type SettlementItem = z.infer<typeof SettlementItem>

export const FlagItem = z.object({
  flagId: z.string(),
  orderId: OrderId,
  waybill: z.string(),
  courier: CourierRef.nullable(),
  kind: FlagKind,
  /** Money the customer paid twice (a late payment after cash, a double payment): to be refunded. */
  refund: z.boolean(),
  intentId: IntentId.nullable(),
  transactionId: z.string().nullable(),
  amountFen: Fen,
  note: z.string(),
  createdAt: Timestamp,
  resolvedAt: Timestamp.nullable(),
})
export type FlagItem = z.infer<typeof FlagItem>

/** An event the backend refused on business grounds; the device keeps it and shows it to the courier. */
export const RejectionItem = z.object({
  deviceId: DeviceId,
  seq: z.number().int().min(1),
  eventId: z.string(),
  type: z.string(),
  orderId: OrderId.nullable(),
  waybill: z.string().nullable(),
  courier: CourierRef.nullable(),
  reason: z.string(),
  occurredAt: Timestamp,
  receivedAt: Timestamp,
})
export type RejectionItem = z.infer<typeof RejectionItem>

/** `GET /api/v1/depot/dashboard/attention?date`. */
export const AttentionResponse = z.object({
  date: RouteDay,
  generatedAt: Timestamp,
  settlements: z.array(SettlementItem),
  flags: z.array(FlagItem),
  rejections: z.array(RejectionItem),
})
export type AttentionResponse = z.infer<typeof AttentionResponse>

export const SupervisorRef = z.object({ supervisorId: SupervisorId, name: z.string() })
export type SupervisorRef = z.infer<typeof SupervisorRef>

/**
 * A blind count of cash by denomination: how many of each note (¥100, ¥50, ¥20, ¥10, ¥5, ¥1) and the coins as an
 * amount in fen. Every count is a whole number; the total is `denominationsTotalFen`.
 */
export const CashDenominations = z
  .object({
    n100: z.number().int().min(0).max(100_000),
    n50: z.number().int().min(0).max(100_000),
    n20: z.number().int().min(0).max(100_000),
    n10: z.number().int().min(0).max(100_000),
    n5: z.number().int().min(0).max(100_000),
    n1: z.number().int().min(0).max(100_000),
    coinsFen: z.number().int().min(0).max(10_000_000),
  })
  .strict()
export type CashDenominations = z.infer<typeof CashDenominations>

/** The value of each note in fen, by its key in `CashDenominations`. */
export const NOTE_FEN = { n100: 10_000, n50: 5_000, n20: 2_000, n10: 1_000, n5: 500, n1: 100 } as const

export function denominationsTotalFen(count: CashDenominations): number {
  return (Object.keys(NOTE_FEN) as (keyof typeof NOTE_FEN)[]).reduce(
    (sum, key) => sum + count[key] * NOTE_FEN[key],
    count.coinsFen,
  )
}

/** What the courier owes for the day besides the cash taken: customers short at the door, payments never seen. */
export const CashOwed = z.object({
  /** Cash deliveries where the customer handed over less than due, as the courier confirmed at the door. */
  shortfallCount: Count,
  shortfallFen: TotalFen,
  /** "To be verified" payments the acquirer never saw. */
  unverifiedCount: Count,
  unverifiedFen: TotalFen,
})
export type CashOwed = z.infer<typeof CashOwed>

/** One courier's cash for the day: what the cash deliveries add up to, what they declared, what was handed in. */
export const CashRow = z.object({
  courier: CourierRef,
  /** The sum of the day's cash collections. */
  expectedFen: TotalFen,
  cashCount: Count,
  /** The courier's latest declaration on the terminal. */
  declaredFen: TotalFen.nullable(),
  declaredAt: Timestamp.nullable(),
  /** What the supervisor received, once recorded. */
  receivedFen: TotalFen.nullable(),
  note: z.string().nullable(),
  recordedBy: SupervisorRef.nullable(),
  recordedAt: Timestamp.nullable(),
  /** Increases with every change; a change must name the version it saw. */
  version: Count,
  /** received − expected, once received is recorded. */
  discrepancyFen: SignedFen.nullable(),
  /** declared − expected, once declared. */
  declaredDiscrepancyFen: SignedFen.nullable(),
  status: z.enum(['awaiting', 'balanced', 'discrepancy']),
  owed: CashOwed,
  /** The denomination count of the hand-in, when the supervisor counted by note. */
  denominations: CashDenominations.nullable(),
  /** The day is closed (日结): the hand-in can no longer change. */
  closed: z.boolean(),
})
export type CashRow = z.infer<typeof CashRow>

export const CashAuditEntry = z.object({
  auditId: z.string(),
  courier: CourierRef,
  supervisor: SupervisorRef,
  action: z.enum(['recorded', 'changed']),
  previousFen: TotalFen.nullable(),
  receivedFen: TotalFen,
  expectedFen: TotalFen,
  declaredFen: TotalFen.nullable(),
  note: z.string().nullable(),
  at: Timestamp,
})
export type CashAuditEntry = z.infer<typeof CashAuditEntry>

/** `GET /api/v1/depot/dashboard/cash?date`: every courier's cash, with the day's audit trail, newest first. */
export const CashDayResponse = z.object({
  date: RouteDay,
  generatedAt: Timestamp,
  couriers: z.array(CashRow),
  audit: z.array(CashAuditEntry),
})
export type CashDayResponse = z.infer<typeof CashDayResponse>

/**
 * `PUT /api/v1/depot/dashboard/cash/:courierId`: the supervisor records the cash received from a courier for
 * a day. An amount that differs from what was expected needs a note; `version` is the row's version as the
 * supervisor saw it (0 before anything was recorded), so two supervisors never overwrite each other unseen.
 */
export const RecordCashRequest = z
  .object({
    date: RouteDay,
    receivedFen: TotalFen,
    note: z.string().trim().max(500).optional(),
    version: z.number().int().min(0),
    /** Optional: the count by denomination, which must add up to `receivedFen`. */
    denominations: CashDenominations.optional(),
  })
  .strict()
  .refine(
    (body) => body.denominations === undefined || denominationsTotalFen(body.denominations) === body.receivedFen,
    {
      message: 'the denomination count must add up to receivedFen',
      path: ['denominations'],
    },
  )
export type RecordCashRequest = z.input<typeof RecordCashRequest>

/** The row as it is now, and the audit entry the change left (null when nothing changed). */
export const RecordCashResponse = z.object({ row: CashRow, audit: CashAuditEntry.nullable() })
export type RecordCashResponse = z.infer<typeof RecordCashResponse>

export const CourierParams = z.object({ courierId: CourierId })

/** `DELETE /api/v1/depot/sessions/current`: the supervisor logs out; the token stops working at once. */
export const LogoutResponse = z.object({ loggedOut: z.literal(true) })
export type LogoutResponse = z.infer<typeof LogoutResponse>

/**
 * `GET /api/v1/depot/dashboard/stream` (server-sent events, supervisor token in the Authorization header):
 * `changed` whenever something the dashboard shows may have changed in the depot (coalesced, at most about
 * once a second), plus `: keep-alive` comments. The client refetches what it shows.
 */
export const DashboardChanged = z.object({ depotId: DepotId, at: Timestamp, seq: z.number().int().min(1) })
export type DashboardChanged = z.infer<typeof DashboardChanged>

/** The dashboard's endpoint paths under `/api/v1`. */
/** `PUT /api/v1/depot/dashboard/targets/:courierId`: a courier's target for a day; null clears it (route size). */
export const SetCourierTargetRequest = z
  .object({ date: RouteDay, target: z.number().int().min(1).max(1000).nullable() })
  .strict()
export type SetCourierTargetRequest = z.infer<typeof SetCourierTargetRequest>
export const SetCourierTargetResponse = z.object({
  courierId: CourierId,
  date: RouteDay,
  target: z.number().int().min(1).nullable(),
})
export type SetCourierTargetResponse = z.infer<typeof SetCourierTargetResponse>

export const DASHBOARD_PATHS = {
  couriers: '/depot/dashboard/couriers',
  devices: '/depot/dashboard/devices',
  attention: '/depot/dashboard/attention',
  cash: '/depot/dashboard/cash',
  targets: '/depot/dashboard/targets',
  stream: '/depot/dashboard/stream',
} as const
