import type { Kysely } from 'kysely'
import type { StatementMismatch } from '../../shared/api/closure'
import type { BackendSchema } from '../db/schema'
import { storedFen } from '../dashboard/stored'
import { statementFee } from './fees'

const DAY_MS = 24 * 3600_000

/** A merchant's day in Asia/Shanghai, where the acquirer cuts its statements. */
export function shanghaiDay(date: string): { startMs: number; endMs: number } {
  const startMs = Date.parse(`${date}T00:00:00+08:00`)
  return { startMs, endMs: startMs + DAY_MS }
}

/** One movement of money as one of the three sources tells it. */
export interface MoneyLine {
  transactionId: string
  intentId: string | null
  type: 'payment' | 'refund'
  amountFen: number
  /** The statement's fee; null from the backend and the devices. */
  feeFen: number | null
  line: number | null
}

/** The three accounts of a day, for one depot: the acquirer's statement, the backend's records, the devices'. */
export interface ThreeWays {
  statement: MoneyLine[]
  /** Payments that went through and refunds that succeeded, on the day (or named on the statement). */
  backend: MoneyLine[]
  /** Payments the devices reported confirmed (`payment.confirmed`), paid on the day. */
  devices: MoneyLine[]
  /** Every transaction the backend knows of, any day: a device claim found here is not unknown. */
  knownTransactions: ReadonlySet<string>
}

export type Mismatch = Omit<StatementMismatch, 'orderId' | 'waybill'>

/**
 * Matches the three accounts: every statement line against the backend's record of the same transaction (a
 * payment's transaction ID, a refund's number) and the devices' claim; every backend record the statement does not
 * have; every device claim that neither has. One mismatch per transaction and kind, never two for one
 * discrepancy: a fee is expected from the backend's amount, so an amount changed on the statement is only
 * `amount_differs`.
 */
export function matchThreeWays(accounts: ThreeWays, feeBp: number): { mismatches: Mismatch[]; agreed: number } {
  const key = (line: MoneyLine) => `${line.type}:${line.transactionId}`
  const backend = new Map(accounts.backend.map((line) => [key(line), line]))
  const devices = new Map(accounts.devices.map((line) => [key(line), line]))
  const onStatement = new Set(accounts.statement.map(key))
  const mismatches: Mismatch[] = []
  let agreed = 0
  const mismatch = (kind: Mismatch['kind'], line: MoneyLine, fields: Partial<Mismatch>): void => {
    mismatches.push({
      kind,
      type: line.type,
      transactionId: line.transactionId,
      intentId: line.intentId,
      line: null,
      statementFen: null,
      backendFen: null,
      deviceFen: null,
      statementFeeFen: null,
      expectedFeeFen: null,
      ...fields,
    })
  }
  for (const line of accounts.statement) {
    const ours = backend.get(key(line))
    const claimed = devices.get(key(line))
    const seen = {
      line: line.line,
      statementFen: line.amountFen,
      backendFen: ours?.amountFen ?? null,
      deviceFen: claimed?.amountFen ?? null,
    }
    if (!ours) {
      mismatch('missing_in_backend', line, seen)
      continue
    }
    let fine = true
    if (ours.amountFen !== line.amountFen || (claimed && claimed.amountFen !== line.amountFen)) {
      mismatch('amount_differs', line, seen)
      fine = false
    }
    const expectedFeeFen = line.type === 'payment' ? statementFee(ours.amountFen, feeBp) : 0
    if (line.feeFen !== expectedFeeFen) {
      mismatch('fee_differs', line, { ...seen, statementFeeFen: line.feeFen, expectedFeeFen })
      fine = false
    }
    if (fine) agreed++
  }
  for (const ours of accounts.backend) {
    if (onStatement.has(key(ours))) continue
    mismatch('missing_in_statement', ours, {
      backendFen: ours.amountFen,
      deviceFen: devices.get(key(ours))?.amountFen ?? null,
    })
  }
  for (const claimed of accounts.devices) {
    if (onStatement.has(key(claimed)) || accounts.knownTransactions.has(claimed.transactionId)) continue
    mismatch('device_claim_unknown', claimed, { deviceFen: claimed.amountFen })
  }
  return { mismatches, agreed }
}

/** The latest statement of each merchant for the day that this depot (or the command line) imported. */
export async function statementsOfDay(db: Kysely<BackendSchema>, depotId: string, date: string) {
  const rows = await db
    .selectFrom('statements')
    .innerJoin('statement_imports', 'statement_imports.statement_id', 'statements.id')
    .selectAll('statements')
    .where('statements.statement_date', '=', date)
    .where((eb) =>
      eb.or([eb('statement_imports.depot_id', '=', depotId), eb('statement_imports.depot_id', 'is', null)]),
    )
    .orderBy('statements.imported_ms', 'desc')
    .orderBy('statements.id')
    .execute()
  const unique = [...new Map(rows.map((row) => [row.id, row])).values()]
  const latest = new Map<string, (typeof unique)[number]>()
  for (const row of unique) if (!latest.has(row.merchant_id)) latest.set(row.merchant_id, row)
  return { all: unique, latest: [...latest.values()] }
}

/** The payload fields a device's `payment.confirmed` carries, read without trusting what is stored. */
function deviceClaim(
  payload: string,
): { transactionId: string; intentId: string | null; amountFen: number; paidMs: number } | null {
  try {
    const value = JSON.parse(payload) as {
      transactionId?: unknown
      intentId?: unknown
      amountFen?: unknown
      paidAt?: unknown
    }
    if (typeof value.transactionId !== 'string' || value.transactionId === '') return null
    const paidMs = typeof value.paidAt === 'string' ? Date.parse(value.paidAt) : Number.NaN
    if (!Number.isFinite(paidMs)) return null
    const intentId =
      typeof value.intentId === 'string' && /^pi_[A-Za-z0-9]{4,40}$/.test(value.intentId) ? value.intentId : null
    return { transactionId: value.transactionId, intentId, amountFen: storedFen(value.amountFen), paidMs }
  } catch {
    return null
  }
}

/**
 * Reads the three accounts of a depot's day. The statement's lines are those of the depot's intents, and, from a
 * statement this depot or the command line imported, those of intents the backend has no record of at all.
 */
export async function threeWaysOfDay(
  db: Kysely<BackendSchema>,
  depotId: string,
  date: string,
  statementIds: string[],
): Promise<ThreeWays & { orders: Map<string, { orderId: string; waybill: string }> }> {
  const { startMs, endMs } = shanghaiDay(date)
  const lines =
    statementIds.length === 0
      ? []
      : await db
          .selectFrom('statement_lines')
          .leftJoin('payment_intents', 'payment_intents.id', 'statement_lines.intent_id')
          .select([
            'statement_lines.line',
            'statement_lines.transaction_id',
            'statement_lines.intent_id',
            'statement_lines.amount_fen',
            'statement_lines.fee_fen',
            'statement_lines.type',
          ])
          .where('statement_lines.statement_id', 'in', statementIds)
          .where((eb) => eb.or([eb('payment_intents.depot_id', '=', depotId), eb('payment_intents.id', 'is', null)]))
          .orderBy('statement_lines.line')
          .execute()
  const named = lines.map((line) => line.transaction_id)
  // No ID is empty: an empty list stands in for none (SQL has no `in ()`).
  const inList = (values: string[]) => (values.length === 0 ? [''] : values)
  const [payments, refunds, claims] = await Promise.all([
    db
      .selectFrom('payments')
      .select(['transaction_id', 'intent_id', 'amount_fen'])
      .where('depot_id', '=', depotId)
      .where('outcome', '=', 'succeeded')
      .where((eb) =>
        eb.or([
          eb.and([eb('paid_ms', '>=', startMs), eb('paid_ms', '<', endMs)]),
          eb('transaction_id', 'in', inList(named)),
        ]),
      )
      .execute(),
    db
      .selectFrom('refunds')
      .select(['refund_no', 'intent_id', 'amount_fen'])
      .where('depot_id', '=', depotId)
      .where('status', '=', 'succeeded')
      .where((eb) =>
        eb.or([
          eb.and([eb('settled_ms', '>=', startMs), eb('settled_ms', '<', endMs)]),
          eb('refund_no', 'in', inList(named)),
        ]),
      )
      .execute(),
    db
      .selectFrom('device_events')
      .innerJoin('orders', 'orders.id', 'device_events.order_id')
      .select(['device_events.payload', 'orders.id as order_id'])
      .where('orders.depot_id', '=', depotId)
      .where('device_events.type', '=', 'payment.confirmed')
      .where('device_events.status', '=', 'applied')
      // A claim's payment time is within a day or so of when the courier acted.
      .where('device_events.occurred_ms', '>=', startMs - DAY_MS)
      .where('device_events.occurred_ms', '<', endMs + DAY_MS)
      .execute(),
  ])
  const deviceLines: MoneyLine[] = []
  const claimed = new Set<string>()
  for (const row of claims) {
    const claim = deviceClaim(row.payload)
    if (!claim || claim.paidMs < startMs || claim.paidMs >= endMs || claimed.has(claim.transactionId)) continue
    claimed.add(claim.transactionId)
    deviceLines.push({
      transactionId: claim.transactionId,
      intentId: claim.intentId,
      type: 'payment',
      amountFen: claim.amountFen,
      feeFen: null,
      line: null,
    })
  }
  const unmatchedClaims = deviceLines.map((line) => line.transactionId)
  const known = await db
    .selectFrom('payments')
    .select('transaction_id')
    .where('transaction_id', 'in', inList(unmatchedClaims))
    .execute()
  const intents = [
    ...new Set([
      ...lines.map((l) => l.intent_id),
      ...payments.map((p) => p.intent_id),
      ...refunds.map((r) => r.intent_id),
      ...deviceLines.flatMap((l) => (l.intentId ? [l.intentId] : [])),
    ]),
  ]
  const orderRows = await db
    .selectFrom('payment_intents')
    .innerJoin('orders', 'orders.id', 'payment_intents.order_id')
    .select(['payment_intents.id as intent_id', 'orders.id as order_id', 'orders.waybill'])
    .where('payment_intents.depot_id', '=', depotId)
    .where('payment_intents.id', 'in', inList(intents))
    .execute()
  return {
    statement: lines.map((line) => ({
      transactionId: line.transaction_id,
      intentId: line.intent_id,
      type: line.type === 'refund' ? 'refund' : 'payment',
      amountFen: storedFen(line.amount_fen),
      feeFen: storedFen(line.fee_fen),
      line: line.line,
    })),
    backend: [
      ...payments.map((p) => ({
        transactionId: p.transaction_id,
        intentId: p.intent_id,
        type: 'payment' as const,
        amountFen: storedFen(p.amount_fen),
        feeFen: null,
        line: null,
      })),
      ...refunds.map((r) => ({
        transactionId: r.refund_no,
        intentId: r.intent_id,
        type: 'refund' as const,
        amountFen: storedFen(r.amount_fen),
        feeFen: null,
        line: null,
      })),
    ],
    devices: deviceLines,
    knownTransactions: new Set(known.map((row) => row.transaction_id)),
    orders: new Map(orderRows.map((row) => [row.intent_id, { orderId: row.order_id, waybill: row.waybill }])),
  }
}
