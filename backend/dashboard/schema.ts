/**
 * The dashboard's tables (migration `1795900000000_dashboard`), as Kysely sees them. `BackendSchema` includes
 * them. Money is integer fen; `*_ms` are epoch milliseconds of what the courier did.
 */

export interface DashboardCourierDayTable {
  depot_id: string
  route_date: string
  courier_id: string
  delivered: number
  failed: number
  digital_count: number
  digital_fen: number
  digital_awaiting_count: number
  digital_awaiting_fen: number
  cash_count: number
  cash_fen: number
  prepaid_count: number
  declared_fen: number | null
  declared_at: string | null
  declared_ms: number | null
  first_action_ms: number | null
  last_action_ms: number | null
}

export interface DashboardFailureTable {
  depot_id: string
  route_date: string
  courier_id: string
  reason: string
  failed: number
}

export interface DashboardOrderTimeTable {
  order_id: string
  depot_id: string
  route_date: string
  courier_id: string
  stop_id: string
  first_scan_ms: number | null
  closed_ms: number | null
  outcome: 'delivered' | 'failed' | null
}

export interface DashboardRejectionTable {
  device_id: string
  seq: number
  depot_id: string
  route_date: string
  courier_id: string | null
  event_id: string
  type: string
  order_id: string | null
  reason: string
  occurred_at: string
  occurred_ms: number
  received_ms: number
}

export interface CashHandinTable {
  depot_id: string
  route_date: string
  courier_id: string
  received_fen: number
  note: string | null
  version: number
  recorded_by: string
  recorded_ms: number
  /** The denomination count as the supervisor keyed it (JSON of `CashDenominations`), when they counted by note. */
  denominations?: string | null
}

export interface DepotAuditTable {
  id: string
  depot_id: string
  route_date: string
  subject: 'cash'
  courier_id: string
  supervisor_id: string
  action: 'recorded' | 'changed'
  previous_fen: number | null
  amount_fen: number
  expected_fen: number
  declared_fen: number | null
  note: string | null
  at_ms: number
}

/** How a supervisor closed an item of the work queue (`dashboard/attention-queue.ts`); never updated or deleted. */
export interface AttentionResolutionTable {
  depot_id: string
  item_id: string
  route_date: string
  kind: string
  action: string
  note: string
  /** The courier the order went to, for a reassignment; the courier who owes the money, for "owed". */
  courier_id: string | null
  amount_fen: number | null
  supervisor_id: string
  resolved_ms: number
}

/** A courier's day closed by a supervisor (`dayclose/`): the figures as closed and their checksum; never changed. */
export interface DayCloseTable {
  depot_id: string
  route_date: string
  courier_id: string
  closed_by: string
  closed_ms: number
  note: string | null
  /** JSON of `DayFigures` as closed. */
  figures: string
  checksum: string
}

/** A device event for a closed day that arrived after the close: applied, and listed against the day. */
export interface DayLateEventTable {
  device_id: string
  seq: number
  depot_id: string
  route_date: string
  courier_id: string
  type: string
  order_id: string | null
  occurred_ms: number
  received_ms: number
}

export interface DashboardTables {
  dashboard_courier_days: DashboardCourierDayTable
  dashboard_failures: DashboardFailureTable
  dashboard_order_times: DashboardOrderTimeTable
  dashboard_rejections: DashboardRejectionTable
  cash_handins: CashHandinTable
  depot_audit: DepotAuditTable
  attention_resolutions: AttentionResolutionTable
  day_closes: DayCloseTable
  day_late_events: DayLateEventTable
}

/** The dashboard's tables, for snapshots and for tests that rebuild them. */
export const DASHBOARD_TABLES: (keyof DashboardTables)[] = [
  'dashboard_courier_days',
  'dashboard_failures',
  'dashboard_order_times',
  'dashboard_rejections',
  'cash_handins',
  'depot_audit',
  'attention_resolutions',
  'day_closes',
  'day_late_events',
]
