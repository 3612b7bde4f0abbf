import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { API_PREFIX } from '../../shared/api/common'
import {
  ImportStatementRequest,
  ImportStatementResponse,
  StatementsQuery,
  StatementsResponse,
  type StatementMismatch,
} from '../../shared/api/closure'
import type { BackendContext } from '../context'
import type { BackendSchema, StatementTable } from '../db/schema'
import { storedCount, storedInstant } from '../dashboard/stored'
import { unavailable } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { routeDateOf } from '../manifests/route-date'
import { importStatement } from './import'
import { matchThreeWays, statementsOfDay, threeWaysOfDay } from './match'

const SUPERVISOR_ERRORS = [
  { status: 400, code: 'request.invalid' },
  { status: 401, code: 'auth.missing' },
  { status: 401, code: 'auth.expired' },
  { status: 403, code: 'auth.supervisors_only' },
] as const

/** Room for the largest statement `readStatement` takes, as a JSON string (escaped line breaks and all). */
const STATEMENT_BODY_LIMIT = 18 * 1024 * 1024

const summaryOf = (row: StatementTable) => ({
  statementId: row.id,
  merchantId: row.merchant_id,
  date: row.statement_date,
  rows: storedCount(row.rows),
  importedAt: storedInstant(row.imported_ms) ?? new Date(0).toISOString(),
})

/** Order of the listing: by kind, then by the statement's line, then by transaction. */
const KIND_ORDER: StatementMismatch['kind'][] = [
  'missing_in_backend',
  'missing_in_statement',
  'amount_differs',
  'fee_differs',
  'device_claim_unknown',
]

/** What the depot's day looks like matched three ways: statement, backend, devices. */
export async function reconciliationOfDay(
  db: Kysely<BackendSchema>,
  depotId: string,
  date: string,
  feeBp: number,
): Promise<StatementsResponse> {
  const { all, latest } = await statementsOfDay(db, depotId, date)
  if (latest.length === 0) return { date, statements: [], matched: false, mismatches: [], agreed: 0 }
  const accounts = await threeWaysOfDay(
    db,
    depotId,
    date,
    latest.map((row) => row.id),
  )
  const { mismatches, agreed } = matchThreeWays(accounts, feeBp)
  const listed = mismatches
    .map((m) => ({ ...m, ...(m.intentId ? accounts.orders.get(m.intentId) : undefined) }))
    .map((m) => ({ ...m, orderId: m.orderId ?? null, waybill: m.waybill ?? null }))
    .sort(
      (a, b) =>
        KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
        (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER) ||
        a.transactionId.localeCompare(b.transactionId),
    )
  return { date, statements: all.map(summaryOf), matched: true, mismatches: listed, agreed }
}

/**
 * The acquirer's statements (对账, issue 12 section 4): a supervisor imports one (`POST /depot/statements`; the
 * command line does the same with `import-statement`), and reads the day matched three ways.
 */
export function registerStatementRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  const today = () => routeDateOf(context.now(), 'Asia/Shanghai')

  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/depot/statements`,
    summary:
      "Imports the acquirer's daily statement (CSV, checksummed header); the same statement again changes nothing",
    tag: 'depot',
    auth: 'supervisor',
    body: ImportStatementRequest,
    response: ImportStatementResponse,
    bodyLimit: STATEMENT_BODY_LIMIT,
    errors: [
      ...SUPERVISOR_ERRORS,
      { status: 422, code: 'statement.invalid' },
      { status: 503, code: 'acquirer.not_configured' },
    ],
    handler: async ({ body, caller: session }) => {
      const secret = context.acquirer.statementKey()
      if (secret === null) throw unavailable('acquirer.not_configured', 'no acquirer is configured')
      const { statement, imported } = await importStatement(context.database, context.log, {
        csv: body.csv,
        secret,
        depotId: session.depotId,
        importedBy: session.supervisorId,
        now: context.now(),
      })
      const day = await reconciliationOfDay(
        context.db,
        session.depotId,
        statement.statement_date,
        context.config.acquirerFeeBp,
      )
      return { ...summaryOf(statement), imported, mismatches: day.mismatches }
    },
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}/depot/statements`,
    summary:
      "The day's imported statements (Asia/Shanghai day) and every mismatch between statement, backend and devices",
    tag: 'depot',
    auth: 'supervisor',
    query: StatementsQuery,
    response: StatementsResponse,
    errors: SUPERVISOR_ERRORS,
    handler: async ({ query, caller: session }) =>
      reconciliationOfDay(context.db, session.depotId, query.date ?? today(), context.config.acquirerFeeBp),
  })
}
