import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import {
  AcquirerRefundRecord,
  AcquirerRefundRequest,
  RefundNo,
  type AcquirerRefundStatus,
} from '../../shared/api/acquirer'
import { conflict, notFound, unprocessable } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { newId } from '../ids'
import { SANDBOX_PREFIX } from './acquirer'
import { merchantGuard, withMerchantAuth } from './merchant'
import type { SandboxPaymentRow, SandboxStore } from './store'

export interface SandboxRefundRow {
  refund_no: string
  transaction_id: string
  intent_id: string
  amount_fen: number
  status: AcquirerRefundStatus
  failure: string | null
  settled_at: string | null
  settled_ms: number | null
  attempts: number
  /** When an accepted (processing) refund reaches its result. */
  due_ms: number
  notify_url: string
  created_ms: number
}

export function refundByNo(store: SandboxStore, refundNo: string): SandboxRefundRow | undefined {
  return store.sqlite.prepare('select * from refunds where refund_no = ?').get(refundNo) as SandboxRefundRow | undefined
}

const recordOf = (row: SandboxRefundRow): AcquirerRefundRecord => ({
  refundNo: row.refund_no,
  transactionId: row.transaction_id,
  intentId: row.intent_id,
  amountFen: row.amount_fen,
  status: row.status,
  failure: row.failure,
  settledAt: row.settled_at,
  attempts: row.attempts,
})

/** What is left to refund of a payment: its amount less refunds accepted or succeeded (a failed one gave nothing). */
function refundable(store: SandboxStore, payment: SandboxPaymentRow, except: string | null): number {
  const row = store.sqlite
    .prepare(
      `select coalesce(sum(amount_fen), 0) as fen from refunds
       where transaction_id = ? and status != 'failed' and refund_no is not ?`,
    )
    .get(payment.transaction_id, except) as { fen: number }
  return payment.amount_fen - row.fen
}

/**
 * Refunds whose time came reach their result, as the behaviour says, each with its signed notification, in one
 * transaction; answers the next due time.
 */
export function settleDueRefunds(store: SandboxStore, nowMs: number): number | null {
  const due = store.sqlite
    .prepare(`select * from refunds where status = 'processing' and due_ms <= ?`)
    .all(nowMs) as SandboxRefundRow[]
  for (const refund of due) {
    store.transaction(() => {
      const outcome = store.behaviour().refundOutcome
      const failed = outcome === 'fail' || (outcome === 'fail_first' && refund.attempts === 1)
      const at = new Date(nowMs).toISOString()
      store.sqlite
        .prepare(`update refunds set status = ?, failure = ?, settled_at = ?, settled_ms = ? where refund_no = ?`)
        .run(failed ? 'failed' : 'succeeded', failed ? 'account_frozen' : null, at, nowMs, refund.refund_no)
      store.enqueue(
        {
          notificationId: newId('ntf'),
          type: failed ? 'refund.failed' : 'refund.succeeded',
          intentId: refund.intent_id,
          transactionId: refund.transaction_id,
          amountFen: refund.amount_fen,
          occurredAt: at,
          refundNo: refund.refund_no,
          ...(failed ? { failure: 'account_frozen' } : {}),
        },
        refund.notify_url,
        nowMs,
      )
    })
  }
  const next = store.sqlite.prepare(`select min(due_ms) as at from refunds where status = 'processing'`).get() as {
    at: number | null
  }
  return next.at
}

const RefundParams = z.object({ refundNo: RefundNo })

/**
 * The sandbox's refund API (`shared/api/acquirer.ts`): partial refunds up to what was paid, the same refund number
 * never refunding twice, "processing" first and the result later by a signed notification or the query, with a
 * delay and failures a test can ask for.
 */
export function registerSandboxRefunds(
  app: FastifyInstance,
  table: RouteTable,
  options: { store: SandboxStore; now: () => number; wake: () => void },
): void {
  const { store, now, wake } = options
  const merchant = merchantGuard(store)
  const routes = withMerchantAuth(table, store)

  defineRoute(app, routes, {
    method: 'POST',
    url: `${SANDBOX_PREFIX}/v1/refunds`,
    summary: 'Sandbox acquirer: refunds part or all of a payment under the merchant’s refund number',
    tag: 'sandbox',
    auth: 'acquirer_merchant',
    body: AcquirerRefundRequest,
    response: AcquirerRefundRecord,
    status: 202,
    errors: [
      { status: 401, code: 'acquirer.unauthorized' },
      { status: 404, code: 'refund.transaction_unknown' },
      { status: 409, code: 'refund.key_conflict' },
      { status: 422, code: 'refund.exceeds_paid' },
      { status: 503, code: 'acquirer.outage' },
    ],
    handler: async ({ body, request }) => {
      await merchant(request)
      const at = now()
      const refund = store.transaction((): SandboxRefundRow => {
        const payment = store.sqlite
          .prepare(`select * from payments where transaction_id = ? and outcome = 'succeeded'`)
          .get(body.transactionId) as SandboxPaymentRow | undefined
        if (!payment) throw notFound('refund.transaction_unknown', 'no such payment to refund')
        const existing = refundByNo(store, body.refundNo)
        if (existing && (existing.transaction_id !== body.transactionId || existing.amount_fen !== body.amountFen)) {
          throw conflict('refund.key_conflict', 'this refund number was used for another refund')
        }
        if (existing && existing.status !== 'failed') return existing
        const left = refundable(store, payment, existing?.refund_no ?? null)
        if (body.amountFen > left) {
          throw unprocessable(
            'refund.exceeds_paid',
            `only ${left} fen of ${payment.transaction_id} is left to refund`,
            {
              refundableFen: left,
            },
          )
        }
        const due = at + store.behaviour().refundDelayMs
        if (existing) {
          // A failed refund asked again under its own number: attempted again, never a second refund.
          store.sqlite
            .prepare(
              `update refunds set status = 'processing', failure = null, settled_at = null, settled_ms = null,
                 attempts = attempts + 1, due_ms = ? where refund_no = ?`,
            )
            .run(due, existing.refund_no)
        } else {
          store.sqlite
            .prepare(
              `insert into refunds (refund_no, transaction_id, intent_id, amount_fen, status, failure, settled_at,
                 settled_ms, attempts, due_ms, notify_url, created_ms)
               values (?, ?, ?, ?, 'processing', null, null, null, 1, ?, ?, ?)`,
            )
            .run(body.refundNo, payment.transaction_id, payment.intent_id, body.amountFen, due, body.notifyUrl, at)
        }
        return refundByNo(store, body.refundNo)!
      })
      wake()
      return recordOf(refund)
    },
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${SANDBOX_PREFIX}/v1/refunds/:refundNo`,
    summary: "Sandbox acquirer's query API for a refund",
    tag: 'sandbox',
    auth: 'acquirer_merchant',
    params: RefundParams,
    response: AcquirerRefundRecord,
    errors: [
      { status: 401, code: 'acquirer.unauthorized' },
      { status: 404, code: 'refund.not_found' },
      { status: 503, code: 'acquirer.outage' },
    ],
    handler: async ({ params, request }) => {
      store.noteQuery(params.refundNo, now())
      await merchant(request, 'query')
      const refund = refundByNo(store, params.refundNo)
      if (!refund) throw notFound('refund.not_found', 'no such refund')
      return recordOf(refund)
    },
  })
}
