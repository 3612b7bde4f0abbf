import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { StatementDate } from '../../shared/api/acquirer'
import { shanghaiDate } from './wallets'
import { statementFee } from '../statements/fees'
import { writeStatement } from '../statements/format'
import { SANDBOX_PREFIX } from './acquirer'
import { merchantGuard } from './merchant'
import type { RouteTable } from '../http/routes'
import { parsePart } from '../http/routes'
import type { SandboxStore } from './store'

const StatementParams = z.object({ date: StatementDate })

/** The sandbox's statement for a merchant's day: what succeeded that day in Asia/Shanghai, by time. */
export function sandboxStatement(store: SandboxStore, date: string): string {
  const identity = store.identity()
  const { startMs, endMs } = shanghaiDate(date)
  const { feeBp } = store.behaviour()
  const payments = store.sqlite
    .prepare(
      `select transaction_id, intent_id, amount_fen, paid_at from payments
       where outcome = 'succeeded' and created_ms >= ? and created_ms < ?`,
    )
    .all(startMs, endMs) as { transaction_id: string; intent_id: string; amount_fen: number; paid_at: string }[]
  const refunds = store.sqlite
    .prepare(
      `select refund_no, intent_id, amount_fen, settled_ms from refunds
       where status = 'succeeded' and settled_ms >= ? and settled_ms < ?`,
    )
    .all(startMs, endMs) as { refund_no: string; intent_id: string; amount_fen: number; settled_ms: number }[]
  const lines = [
    ...payments.map((p) => ({
      transactionId: p.transaction_id,
      intentId: p.intent_id,
      amountFen: p.amount_fen,
      feeFen: statementFee(p.amount_fen, feeBp),
      timeMs: Date.parse(p.paid_at),
      type: 'payment' as const,
    })),
    ...refunds.map((r) => ({
      transactionId: r.refund_no,
      intentId: r.intent_id,
      amountFen: r.amount_fen,
      feeFen: 0,
      timeMs: r.settled_ms,
      type: 'refund' as const,
    })),
  ].sort((a, b) => a.timeMs - b.timeMs || a.transactionId.localeCompare(b.transactionId))
  return writeStatement({ merchantId: identity.merchantId, date, lines }, identity.apiKey)
}

/** `GET /sandbox/acquirer/v1/statements/:date` (merchant key): the day's statement as `text/csv`. */
export function registerSandboxStatements(app: FastifyInstance, table: RouteTable, store: SandboxStore): void {
  const merchant = merchantGuard(store)
  const url = `${SANDBOX_PREFIX}/v1/statements/:date`
  table.docs.push({
    method: 'GET',
    url,
    summary: "Sandbox acquirer: a merchant's daily statement (对账单), CSV with a checksummed header",
    tag: 'sandbox',
    auth: 'acquirer_merchant',
    params: StatementParams,
    contentType: 'text/csv',
    status: 200,
    errors: [
      { status: 400, code: 'request.invalid' },
      { status: 401, code: 'acquirer.unauthorized' },
    ],
  })
  app.get(url, async (request, reply) => {
    // The key first, as every merchant route: a caller without one learns nothing about the parameters.
    await merchant(request)
    const { date } = parsePart(StatementParams, request.params, 'params')
    return reply.header('content-type', 'text/csv; charset=utf-8').send(sandboxStatement(store, date))
  })
}
