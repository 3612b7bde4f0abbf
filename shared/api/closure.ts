import { z } from 'zod'
import { Fen, TotalFen } from '../money'
import { ChargeFailure, ChargeNo, RefundNo, StatementDate } from './acquirer'
import { ChargeState } from './charges'
import { CourierId, IntentId, OrderId, SupervisorId, Timestamp } from './ids'

/**
 * Payment closure for the depot (issue 12, DESIGN section 4a): every intent ends in one final state, refunds a
 * supervisor approved, the acquirer's statements matched three ways, and money views that count only what the
 * acquirer confirmed. Supervisor token on every endpoint; everything is the session's depot's.
 */

/** The final states an intent can reach, by the acquirer's word. */
export const IntentFinalState = z.enum(['paid', 'cancelled', 'expired', 'refunded', 'partially_refunded'])
export type IntentFinalState = z.infer<typeof IntentFinalState>

/** `requested`: approved, not yet accepted by the acquirer; `processing`: accepted, not yet done. */
export const RefundState = z.enum(['requested', 'processing', 'succeeded', 'failed'])
export type RefundState = z.infer<typeof RefundState>

/**
 * How one refund stands, as the order's courier hears it: on the device stream as it moves on, and with the
 * manifest (the shift's truth a device refetches after a reconnect or a swap), so a terminal misses none.
 */
export const RefundNotice = z.object({
  orderId: OrderId,
  intentId: IntentId,
  refundNo: z.string(),
  amountFen: Fen,
  status: RefundState,
})
export type RefundNotice = z.infer<typeof RefundNotice>

/** The backend's verdict on a device's claim about a payment, settled against the acquirer's records. */
export const SettlementVerdict = z.enum(['verified', 'not_found', 'amount_mismatch'])
export type SettlementVerdict = z.infer<typeof SettlementVerdict>

const Count = z.number().int().min(0)
const SupervisorRef = z.object({ supervisorId: SupervisorId, name: z.string() })
const CourierRef = z.object({ courierId: CourierId, staffId: z.string(), name: z.string() })

/**
 * `POST /api/v1/depot/refunds`: a supervisor approves the refund of a flagged double or late payment (or of a
 * payment that landed after its charge was revoked), with a note. The refund number is derived from the flag, so
 * asking again is the same refund (never a second one), and a failed one is attempted again under it.
 * `amountFen` defaults to the flag's amount and may not exceed it.
 */
export const ApproveRefundRequest = z
  .object({
    flagId: z.string().regex(/^flg_[A-Za-z0-9]{4,40}$/),
    note: z.string().trim().min(2).max(500),
    amountFen: Fen.min(1).optional(),
  })
  .strict()
export type ApproveRefundRequest = z.infer<typeof ApproveRefundRequest>

export const RefundView = z.object({
  refundNo: RefundNo,
  kind: z.enum(['approved', 'automatic']),
  flagId: z.string().nullable(),
  chargeNo: ChargeNo.nullable(),
  orderId: OrderId,
  waybill: z.string(),
  courier: CourierRef.nullable(),
  intentId: IntentId,
  transactionId: z.string(),
  amountFen: Fen,
  status: RefundState,
  failure: z.string().nullable(),
  approvedBy: SupervisorRef.nullable(),
  note: z.string(),
  attempts: Count,
  createdAt: Timestamp,
  settledAt: Timestamp.nullable(),
})
export type RefundView = z.infer<typeof RefundView>

export const RefundsQuery = z.object({ date: StatementDate.optional() }).strict()
export const RefundsResponse = z.object({ date: StatementDate, refunds: z.array(RefundView) })
export type RefundsResponse = z.infer<typeof RefundsResponse>

/** `POST /api/v1/depot/statements`: a statement file's text, as the acquirer produced it. */
export const ImportStatementRequest = z
  .object({
    csv: z
      .string()
      .min(1)
      .max(16 * 1024 * 1024),
  })
  .strict()

export const StatementMismatchKind = z.enum([
  /** A line of the statement the backend has no record of. */
  'missing_in_backend',
  /** A payment or refund the backend recorded for the day that the statement does not have. */
  'missing_in_statement',
  'amount_differs',
  'fee_differs',
  /** A device reported a payment (its transaction) that neither the statement nor the backend has. */
  'device_claim_unknown',
])
export type StatementMismatchKind = z.infer<typeof StatementMismatchKind>

export const StatementMismatch = z.object({
  kind: StatementMismatchKind,
  type: z.enum(['payment', 'refund']),
  transactionId: z.string(),
  intentId: IntentId.nullable(),
  orderId: OrderId.nullable(),
  waybill: z.string().nullable(),
  /** The statement's line, when the statement has it. */
  line: z.number().int().min(1).nullable(),
  statementFen: Fen.nullable(),
  backendFen: Fen.nullable(),
  deviceFen: Fen.nullable(),
  statementFeeFen: Fen.nullable(),
  expectedFeeFen: Fen.nullable(),
})
export type StatementMismatch = z.infer<typeof StatementMismatch>

export const StatementSummary = z.object({
  statementId: z.string(),
  merchantId: z.string(),
  date: StatementDate,
  rows: Count,
  importedAt: Timestamp,
})

export const ImportStatementResponse = StatementSummary.extend({
  /** False when this very statement (its checksum) had been imported before by the same depot: nothing changed. */
  imported: z.boolean(),
  mismatches: z.array(StatementMismatch),
})
export type ImportStatementResponse = z.infer<typeof ImportStatementResponse>

export const StatementsQuery = z.object({ date: StatementDate.optional() }).strict()
/** `GET /api/v1/depot/statements?date`: the day's imported statements and what does not match, three ways. */
export const StatementsResponse = z.object({
  date: StatementDate,
  statements: z.array(StatementSummary),
  /** Whether a statement for the day was imported at all: without one, nothing can be matched yet. */
  matched: z.boolean(),
  mismatches: z.array(StatementMismatch),
  /** What matched: lines the statement, the backend (and, for payments, the devices) agree on. */
  agreed: Count,
})
export type StatementsResponse = z.infer<typeof StatementsResponse>

/**
 * `GET /api/v1/depot/closure`: intents and charges past the bound (N minutes after the courier left the door)
 * that have not reached a final state. The target is zero; the reconciliation worker works on each.
 */
export const OpenIntent = z.object({
  intentId: IntentId,
  orderId: OrderId,
  waybill: z.string(),
  courier: CourierRef.nullable(),
  amountFen: Fen,
  /** What the backend holds (pending, cancelled locally…) while the acquirer has not confirmed a final state. */
  status: z.string(),
  doorLeftAt: Timestamp,
  pastBoundMs: Count,
  attempts: Count,
  lastError: z.string().nullable(),
})
export const OpenCharge = z.object({
  chargeNo: ChargeNo,
  intentId: IntentId,
  orderId: OrderId,
  waybill: z.string(),
  amountFen: Fen,
  status: ChargeState,
  failure: ChargeFailure.nullable(),
  createdAt: Timestamp,
  pastBoundMs: Count,
  queries: Count,
  lastError: z.string().nullable(),
})
export const ClosureResponse = z.object({
  generatedAt: Timestamp,
  boundMs: Count,
  intents: z.array(OpenIntent),
  charges: z.array(OpenCharge),
})
export type ClosureResponse = z.infer<typeof ClosureResponse>

/**
 * `GET /api/v1/depot/dashboard/money?date`: the day's money as it truly stands, per courier and for the depot.
 * Digital counts only what the acquirer confirmed; "to be verified" the acquirer has not (yet) found is owed, not
 * collected; refunds due (flagged, not yet paid back) and paid are in every total; net is collected less refunds
 * paid.
 */
export const MoneyFigures = z.object({
  /** Every payment the acquirer confirmed for the day's orders (a double one too, until refunded). */
  digitalConfirmedFen: TotalFen,
  digitalConfirmedCount: Count,
  /** Delivered digitally, the acquirer's confirmation still to come (not counted as collected). */
  digitalAwaitingFen: TotalFen,
  /** "Paid, to be verified" the acquirer has no payment for: owed by the courier or the customer. */
  owedFen: TotalFen,
  owedCount: Count,
  cashFen: TotalFen,
  /** Digital confirmed plus cash. */
  collectedFen: TotalFen,
  /** Approved refunds not yet paid back, and refundable flags not yet approved. */
  refundsDueFen: TotalFen,
  refundsDueCount: Count,
  refundsPaidFen: TotalFen,
  refundsPaidCount: Count,
  /** Collected less refunds paid. */
  netFen: z.number().int(),
})
export type MoneyFigures = z.infer<typeof MoneyFigures>

/** Nothing counted yet: where the backend's day view and the device's shift summary start their sums. */
export const emptyMoneyFigures = (): MoneyFigures => ({
  digitalConfirmedFen: 0,
  digitalConfirmedCount: 0,
  digitalAwaitingFen: 0,
  owedFen: 0,
  owedCount: 0,
  cashFen: 0,
  collectedFen: 0,
  refundsDueFen: 0,
  refundsDueCount: 0,
  refundsPaidFen: 0,
  refundsPaidCount: 0,
  netFen: 0,
})
export const MoneyDayResponse = z.object({
  date: StatementDate,
  generatedAt: Timestamp,
  couriers: z.array(MoneyFigures.extend({ courier: CourierRef })),
  totals: MoneyFigures,
})
export type MoneyDayResponse = z.infer<typeof MoneyDayResponse>
