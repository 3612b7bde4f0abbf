import type { IntentStatus, OrderStatus } from '../../shared/api/shift'
import type { ChargeFailure } from '../../shared/api/acquirer'
import type { ChargeState } from '../../shared/api/charges'
import type { IntentFinalState, RefundState } from '../../shared/api/closure'
import type { FlagKind, SettlementVerdict } from '../../shared/api/stream'
import type { DashboardTables } from '../dashboard/schema'

/**
 * The backend's tables as Kysely sees them, one interface per table, added with the migration that creates it.
 * Money is integer fen; `*_ms` columns are epoch milliseconds; `*_at` columns are ISO 8601 text, and the
 * courier's times keep the offset the device sent.
 */

export interface DepotTable {
  id: string
  name: string
  city: string
  district: string
  time_zone: string
  merchant_name: string
  merchant_city: string
  /** The Chinese name and city the QR carries in its language template (tag 64). */
  merchant_name_zh: string | null
  merchant_city_zh: string | null
  unverified_per_order_fen: number
  unverified_per_shift_fen: number
  created_at: string
}

export interface SupervisorTable {
  id: string
  depot_id: string
  login: string
  name: string
  password_hash: string
  /** Superseded by `login_attempts` (migration 1796100000000); no longer written. */
  failed_logins: number
  /** Superseded by `login_attempts`; no longer written. */
  locked_until_ms: number | null
  created_at: string
}

export interface SupervisorSessionTable {
  token_hash: string
  supervisor_id: string
  depot_id: string
  created_at: string
  expires_ms: number
}

export interface CourierTable {
  id: string
  depot_id: string
  staff_id: string
  name: string
  pin_hash: string
  /** Superseded by `login_attempts` (migration 1796100000000); no longer written. */
  failed_pins: number
  /** Superseded by `login_attempts`; no longer written. */
  locked_until_ms: number | null
  created_at: string
}

/**
 * Login attempts per account name, known or not: `scope` is `courier:<depotId>` (subject: the staff ID) or
 * `supervisor` (subject: the login). `attempts` counts every attempt since the last success or lock, counted
 * before its slow hash; `in_flight` those whose hash is still running.
 */
export interface LoginAttemptTable {
  scope: string
  subject: string
  attempts: number
  in_flight: number
  locked_until_ms: number | null
  updated_ms: number
}

export interface DeviceTable {
  id: string
  depot_id: string
  label: string
  token_hash: string
  enrolled_at: string
  revoked_at: string | null
  acked_seq: number
  pending_count: number | null
  oldest_pending_at: string | null
  app_version: string | null
  last_sync_at: string | null
  heartbeat_sent_at: string | null
  last_contact_ms: number | null
  /** The device's latest measured clock offset (backend minus device, ms), when and from what it was learned. */
  clock_offset_ms: number | null
  clock_measured_ms: number | null
  clock_source: 'events' | 'heartbeat' | null
  /** The supervisor who retired the device (`revoked_at` is when). */
  retired_by: string | null
  /** The battery as the device last reported it: 0–100, and 1 while charging. */
  battery_level: number | null
  battery_charging: number | null
}

export interface EnrollmentCodeTable {
  code: string
  depot_id: string
  created_by: string | null
  created_at: string
  expires_ms: number
  used_at: string | null
  device_id: string | null
}

export interface RouteTable {
  id: string
  depot_id: string
  courier_id: string
  route_date: string
  version: number
  created_at: string
}

export interface StopTable {
  id: string
  route_id: string
  sequence: number
  address: string
  /** Skipped for now by the courier (moved to the end of the route), and why. */
  skipped_reason: string | null
}

/** A virtual number bound for a courier to call an order's customer. */
export interface CallBindingTable {
  id: string
  order_id: string
  shift_id: string
  number: string
  extension: string | null
  provider: string
  valid_until_ms: number
  created_ms: number
}

export type OrderStatusValue = OrderStatus

export interface OrderTable {
  id: string
  depot_id: string
  route_id: string
  stop_id: string
  position: number
  courier_id: string
  route_date: string
  waybill: string
  cod_fen: number
  recipient_name: string
  recipient_phone: string
  address: string
  status: OrderStatusValue
  attempt: number
  intent_attempts: number
  delivered_method: string | null
  collected_cash_fen: number
  closed_at: string | null
  closed_ms: number | null
  failure_reason: string | null
}

export interface ParcelTable {
  id: string
  order_id: string
  barcode: string
  idx: number
  count: number
}

export interface ShiftTable {
  id: string
  depot_id: string
  courier_id: string
  device_id: string
  route_id: string | null
  route_date: string
  token_hash: string
  started_at: string
  started_ms: number
  expires_ms: number
  ended_ms: number | null
  closed_at: string | null
}

export type IntentStatusValue = IntentStatus

export interface PaymentIntentTable {
  id: string
  order_id: string
  depot_id: string
  attempt: number
  acquirer_key: string
  amount_fen: number
  qr_payload: string
  status: IntentStatusValue
  expires_at: string
  expires_ms: number
  paid_at: string | null
  transaction_id: string | null
  device_id: string
  created_at: string
  checked_ms: number | null
  /** The final state the acquirer's word gave it (paid, cancelled, expired, refunded…); null while it has none. */
  final_state: IntentFinalState | null
  final_ms: number | null
  /** The device's key for a split payment when this intent is for its digital part only; null for the whole. */
  split_key: string | null
}

/**
 * An intent to withdraw at the acquirer (the courier moved on from it), queued in the transaction that closed
 * it. `done_ms` is set once, when the acquirer answered; `outcome` says what it said.
 */
export interface IntentWithdrawalTable {
  intent_id: string
  depot_id: string
  queued_ms: number
  attempts: number
  next_attempt_ms: number
  claimed_until_ms: number | null
  done_ms: number | null
  /** `withdrawn`; `paid` (it was paid first: recorded, and flagged where it conflicts); `refused` (unknown there). */
  outcome: 'withdrawn' | 'paid' | 'refused' | null
  last_error: string | null
}

export interface PaymentTable {
  transaction_id: string
  intent_id: string
  order_id: string
  depot_id: string
  amount_fen: number
  paid_at: string
  paid_ms: number
  outcome: 'succeeded' | 'refused_duplicate'
  /** How the backend learned it: the notification, a query, or the answer to charging a customer's code. */
  source: 'notification' | 'query' | 'charge'
  recorded_ms: number
}

export interface AcquirerNotificationTable {
  notification_id: string
  type: string
  intent_id: string
  transaction_id: string
  amount_fen: number
  occurred_at: string
  raw_body: string
  signed_at: number
  received_ms: number
  outcome: 'received' | 'applied' | 'rejected'
  reason: string | null
  processed_ms: number | null
}

export interface WebhookSignatureTable {
  signature: string
  received_ms: number
}

export interface DeviceEventTable {
  device_id: string
  seq: number
  event_id: string
  shift_id: string
  type: string
  order_id: string | null
  payload: string
  /** The courier's time as the backend counts it: corrected by the offset and bounded (`events/courier-time.ts`). */
  occurred_at: string
  occurred_ms: number
  received_ms: number
  status: 'applied' | 'rejected' | 'duplicate'
  reason: string | null
  /** The device's clock reading, exactly as sent. */
  device_occurred_at: string | null
  /** Backend clock minus device clock as the device knew it when the courier acted; null if never measured. */
  clock_offset_ms: number | null
  /** Why the time counted is not the corrected reading: it fell before the shift, or after receipt. */
  time_flag: TimeFlag | null
}

export type TimeFlag = 'before_shift' | 'after_receipt'

export interface DeliveryAttemptTable {
  order_id: string
  attempt: number
  outcome: 'delivered' | 'failed'
  method: string | null
  due_fen: number
  collected_fen: number
  intent_id: string | null
  failure_reason: string | null
  occurred_at: string
  occurred_ms: number
  device_id: string
  shift_id: string
  seq: number
}

export interface CashDeclarationTable {
  device_id: string
  seq: number
  shift_id: string
  courier_id: string
  depot_id: string
  declared_fen: number
  declared_at: string
  declared_ms: number
}

export type SettlementStatus = 'pending' | SettlementVerdict

export interface SettlementTable {
  id: string
  intent_id: string
  order_id: string
  device_id: string
  shift_id: string
  depot_id: string
  claimed_fen: number
  kind: 'unverified' | 'confirmed'
  status: SettlementStatus
  transaction_id: string | null
  attempts: number
  next_attempt_ms: number
  claimed_until_ms: number | null
  last_error: string | null
  created_ms: number
  settled_ms: number | null
}

export interface FlagTable {
  id: string
  depot_id: string
  order_id: string
  kind: FlagKind
  intent_id: string | null
  transaction_id: string | null
  amount_fen: number
  dedupe_key: string
  note: string
  created_ms: number
  resolved_ms: number | null
}

export interface StreamCursorTable {
  device_id: string
  last_seq: number
}

export interface StreamMessageTable {
  device_id: string
  seq: number
  depot_id: string
  name: string
  data: string
  created_ms: number
}

/** Sequences a device could no longer send; accepted past, and kept for the depot. */
export interface DeviceGapTable {
  device_id: string
  from_seq: number
  to_seq: number
  depot_id: string
  recorded_ms: number
}

/** A depot's proof rules (`shared/api/proof.ts` `ProofRules`, as JSON); a depot without a row asks for none. */
export interface DepotProofRulesTable {
  depot_id: string
  rules: string
  updated_ms: number
  updated_by: string | null
}

/** The delivery code of one attempt at an order: its salted scrypt hash, never the code. */
export interface DeliveryCodeTable {
  order_id: string
  attempt: number
  salt: string
  hash: string
  created_ms: number
}

/** One evidence file a device announced (its applied `proof.evidence_captured`), and where its upload stands. */
export interface EvidenceTable {
  id: string
  device_id: string
  depot_id: string
  order_id: string
  attempt: number
  kind: 'photo' | 'signature'
  mime: 'image/jpeg' | 'image/png'
  sha256: string
  bytes: number
  captured_at: string
  captured_ms: number
  event_id: string
  created_ms: number
  /** Its upload was complete and matched the hash: the file is in the store. */
  stored_ms: number | null
  /** Retention deleted the file; the row stays as the record. */
  deleted_ms: number | null
}

/** An evidence orphan a device reported on its heartbeat (`proof/orphans.ts`). */
export interface EvidenceOrphanTable {
  device_id: string
  name: string
  /** The name without its extension: the ID the evidence event would carry. */
  evidence_id: string
  depot_id: string
  problem: 'file_without_event' | 'event_without_file'
  bytes: number
  found_at: string
  reported_ms: number
  route_date: string
  courier_id: string | null
}

/** A customer's payment code charged for an intent, and where its query-and-revoke schedule stands. */
export interface ChargeTable {
  charge_no: string
  intent_id: string
  order_id: string
  depot_id: string
  device_id: string
  shift_id: string
  code_hash: string
  code_masked: string
  amount_fen: number
  status: ChargeState
  failure: ChargeFailure | null
  limit_fen: number | null
  transaction_id: string | null
  paid_at: string | null
  created_ms: number
  updated_ms: number
  /** Past this the charge is revoked if it is neither paid nor failed. */
  deadline_ms: number
  next_query_ms: number | null
  queries: number
  claimed_until_ms: number | null
  last_error: string | null
  final_ms: number | null
}

export interface RefundTable {
  refund_no: string
  depot_id: string
  order_id: string
  intent_id: string
  transaction_id: string
  /** The flag it repays (a supervisor approved it), or the charge whose late payment it returns (automatic). */
  flag_id: string | null
  charge_no: string | null
  kind: 'approved' | 'automatic'
  amount_fen: number
  status: RefundState
  failure: string | null
  approved_by: string | null
  note: string
  attempts: number
  created_ms: number
  updated_ms: number
  settled_ms: number | null
  next_check_ms: number | null
  claimed_until_ms: number | null
  last_error: string | null
}

export interface StatementTable {
  id: string
  merchant_id: string
  depot_id: string | null
  statement_date: string
  checksum: string
  rows: number
  imported_by: string
  imported_ms: number
}

export interface StatementLineTable {
  statement_id: string
  line: number
  transaction_id: string
  intent_id: string
  amount_fen: number
  fee_fen: number
  time_ms: number
  type: 'payment' | 'refund'
}

/** One importer of a statement: a depot's supervisor, or the command line (`depot_id` null). */
export interface StatementImportTable {
  id: string
  statement_id: string
  depot_id: string | null
  imported_by: string
  imported_ms: number
}

/** The reconciliation worker's schedule for an intent past the bound with no final state. */
export interface IntentClosureTable {
  intent_id: string
  attempts: number
  next_check_ms: number
  claimed_until_ms: number | null
  last_error: string | null
}

export interface BackendSchema extends DashboardTables {
  depot_proof_rules: DepotProofRulesTable
  delivery_codes: DeliveryCodeTable
  evidence: EvidenceTable
  evidence_orphans: EvidenceOrphanTable
  depots: DepotTable
  supervisors: SupervisorTable
  supervisor_sessions: SupervisorSessionTable
  couriers: CourierTable
  login_attempts: LoginAttemptTable
  devices: DeviceTable
  enrollment_codes: EnrollmentCodeTable
  routes: RouteTable
  stops: StopTable
  orders: OrderTable
  parcels: ParcelTable
  shifts: ShiftTable
  payment_intents: PaymentIntentTable
  intent_withdrawals: IntentWithdrawalTable
  payments: PaymentTable
  acquirer_notifications: AcquirerNotificationTable
  webhook_signatures: WebhookSignatureTable
  device_events: DeviceEventTable
  device_gaps: DeviceGapTable
  call_bindings: CallBindingTable
  delivery_attempts: DeliveryAttemptTable
  cash_declarations: CashDeclarationTable
  settlements: SettlementTable
  flags: FlagTable
  stream_cursors: StreamCursorTable
  stream_messages: StreamMessageTable
  charges: ChargeTable
  refunds: RefundTable
  statements: StatementTable
  statement_lines: StatementLineTable
  statement_imports: StatementImportTable
  intent_closure: IntentClosureTable
  courier_targets: CourierTargetTable
}

/** A courier's target for a day, set by a supervisor (`dashboard/targets.ts`); none: the route's size. */
export interface CourierTargetTable {
  depot_id: string
  courier_id: string
  route_date: string
  target: number
  set_by: string
  set_ms: number
}
