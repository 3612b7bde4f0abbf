import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { z } from 'zod'
import { RefundNo } from '../../shared/api/acquirer'
import { API_PREFIX } from '../../shared/api/common'
import { ApproveRefundRequest, RefundsQuery, RefundsResponse, RefundView } from '../../shared/api/closure'
import type { FlagKind } from '../../shared/api/stream'
import type { BackendContext } from '../context'
import type { Trx } from '../db/connect'
import type { BackendSchema, RefundTable } from '../db/schema'
import { inTransaction } from '../db/transaction'
import { conflict, notFound, unprocessable } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { routeDateOf } from '../manifests/route-date'
import { recordRefund, refundNoOfFlag } from './store'

/** Flags that are money the customer paid twice (or after a revoke), to be paid back. */
export const REFUND_FLAG_KINDS: readonly FlagKind[] = [
  'late_payment_after_cash',
  'double_payment',
  'payment_after_revoke',
]

const SUPERVISOR_ERRORS = [
  { status: 400, code: 'request.invalid' },
  { status: 401, code: 'auth.missing' },
  { status: 401, code: 'auth.expired' },
  { status: 403, code: 'auth.supervisors_only' },
] as const
const RefundParams = z.object({ refundNo: RefundNo })
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

type RefundRow = RefundTable & {
  waybill: string
  courier_id: string
  staff_id: string | null
  courier_name: string | null
  supervisor_name: string | null
}

function refundsOf(db: Kysely<BackendSchema>, depotId: string) {
  return db
    .selectFrom('refunds')
    .innerJoin('orders', 'orders.id', 'refunds.order_id')
    .leftJoin('couriers', 'couriers.id', 'orders.courier_id')
    .leftJoin('supervisors', 'supervisors.id', 'refunds.approved_by')
    .selectAll('refunds')
    .select([
      'orders.waybill',
      'orders.courier_id',
      'couriers.staff_id',
      'couriers.name as courier_name',
      'supervisors.name as supervisor_name',
    ])
    .where('refunds.depot_id', '=', depotId)
}

function refundView(row: RefundRow): RefundView {
  return {
    refundNo: row.refund_no,
    kind: row.kind,
    flagId: row.flag_id,
    chargeNo: row.charge_no,
    orderId: row.order_id,
    waybill: row.waybill,
    courier:
      row.staff_id !== null && row.courier_name !== null
        ? { courierId: row.courier_id, staffId: row.staff_id, name: row.courier_name }
        : null,
    intentId: row.intent_id,
    transactionId: row.transaction_id,
    amountFen: row.amount_fen,
    status: row.status,
    failure: row.failure,
    approvedBy:
      row.approved_by !== null ? { supervisorId: row.approved_by, name: row.supervisor_name ?? row.approved_by } : null,
    note: row.note,
    attempts: row.attempts,
    createdAt: new Date(row.created_ms).toISOString(),
    settledAt: iso(row.settled_ms),
  }
}

/**
 * The supervisor's refunds (`shared/api/closure.ts`): approving the refund of a flagged double or late payment,
 * with a note, under a number derived from the flag; retrying a failed one under the same number; and the day's
 * refunds with their states. "Accepted" is not "succeeded": the worker follows each to its result.
 */
export function registerRefundRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  const one = async (depotId: string, refundNo: string): Promise<RefundView> => {
    const row = await refundsOf(context.db, depotId).where('refunds.refund_no', '=', refundNo).executeTakeFirst()
    if (!row) throw notFound('refund.not_found', 'no such refund at this depot')
    return refundView(row)
  }

  const retry = (trx: Trx, refund: RefundTable, supervisorId: string, note: string | null, now: number) =>
    trx
      .updateTable('refunds')
      .set({
        status: 'requested',
        failure: null,
        next_check_ms: now,
        claimed_until_ms: null,
        updated_ms: now,
        ...(refund.kind === 'approved' ? { approved_by: supervisorId } : {}),
        ...(note ? { note } : {}),
      })
      .where('refund_no', '=', refund.refund_no)
      .where('status', '=', 'failed')
      .execute()

  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/depot/refunds`,
    summary: 'A supervisor approves the refund of a flagged double or late payment, with a note',
    tag: 'depot',
    auth: 'supervisor',
    body: ApproveRefundRequest,
    response: RefundView,
    errors: [
      ...SUPERVISOR_ERRORS,
      { status: 404, code: 'flag.not_found' },
      { status: 409, code: 'refund.key_conflict' },
      { status: 422, code: 'refund.not_refundable' },
      { status: 422, code: 'refund.exceeds_flag' },
    ],
    handler: async ({ body, caller: session }) => {
      const flag = await context.db
        .selectFrom('flags')
        .selectAll()
        .where('id', '=', body.flagId)
        .where('depot_id', '=', session.depotId)
        .executeTakeFirst()
      if (!flag) throw notFound('flag.not_found', 'no such flag at this depot')
      if (!REFUND_FLAG_KINDS.includes(flag.kind) || flag.transaction_id === null || flag.intent_id === null) {
        throw unprocessable('refund.not_refundable', `a ${flag.kind} flag is not money to pay back`, {
          kind: flag.kind,
        })
      }
      if (flag.kind === 'payment_after_revoke') {
        // Refunded by itself when it was flagged: approving it is that same refund.
        const automatic = await context.db
          .selectFrom('refunds')
          .select('refund_no')
          .where('transaction_id', '=', flag.transaction_id)
          .where('kind', '=', 'automatic')
          .executeTakeFirst()
        if (automatic) return one(session.depotId, automatic.refund_no)
      }
      const amountFen = body.amountFen ?? flag.amount_fen
      if (amountFen > flag.amount_fen) {
        throw unprocessable('refund.exceeds_flag', `the flag is for ${flag.amount_fen} fen`, {
          flagFen: flag.amount_fen,
        })
      }
      const refundNo = refundNoOfFlag(flag.id)
      const now = context.now()
      await inTransaction(context.database, context.log, async (trx) => {
        const existing = await trx
          .selectFrom('refunds')
          .selectAll()
          .where('refund_no', '=', refundNo)
          .$if(context.database.kind === 'postgres', (query) => query.forUpdate())
          .executeTakeFirst()
        if (existing) {
          if (existing.amount_fen !== amountFen) {
            throw conflict('refund.key_conflict', `this refund was approved for ${existing.amount_fen} fen`)
          }
          if (existing.status === 'failed') await retry(trx, existing, session.supervisorId, body.note, now)
          return
        }
        await recordRefund(trx, {
          refund_no: refundNo,
          depot_id: flag.depot_id,
          order_id: flag.order_id,
          intent_id: flag.intent_id!,
          transaction_id: flag.transaction_id!,
          flag_id: flag.id,
          charge_no: null,
          kind: 'approved',
          amount_fen: amountFen,
          approved_by: session.supervisorId,
          note: body.note,
          created_ms: now,
        })
      })
      context.wakeClosure()
      return one(session.depotId, refundNo)
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${API_PREFIX}/depot/refunds/:refundNo/retry`,
    summary: 'Retries a failed refund under the same refund number',
    tag: 'depot',
    auth: 'supervisor',
    params: RefundParams,
    body: z.object({ note: z.string().trim().min(2).max(500).optional() }).strict(),
    response: RefundView,
    errors: [
      ...SUPERVISOR_ERRORS,
      { status: 404, code: 'refund.not_found' },
      { status: 409, code: 'refund.not_failed' },
    ],
    handler: async ({ params, body, caller: session }) => {
      const current = await one(session.depotId, params.refundNo)
      if (current.status !== 'failed') {
        throw conflict(
          'refund.not_failed',
          `refund ${params.refundNo} is ${current.status}; only a failed one is retried`,
        )
      }
      await inTransaction(context.database, context.log, async (trx) => {
        const row = await trx
          .selectFrom('refunds')
          .selectAll()
          .where('refund_no', '=', params.refundNo)
          .executeTakeFirstOrThrow()
        await retry(trx, row, session.supervisorId, body.note ?? null, context.now())
      })
      context.wakeClosure()
      return one(session.depotId, params.refundNo)
    },
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}/depot/refunds`,
    summary: "The day's refunds (by the orders' route day) with their states",
    tag: 'depot',
    auth: 'supervisor',
    query: RefundsQuery,
    response: RefundsResponse,
    errors: SUPERVISOR_ERRORS,
    handler: async ({ query, caller: session }) => {
      const depot = await context.db
        .selectFrom('depots')
        .select('time_zone')
        .where('id', '=', session.depotId)
        .executeTakeFirstOrThrow()
      const date = query.date ?? routeDateOf(context.now(), depot.time_zone)
      const rows = await refundsOf(context.db, session.depotId)
        .where('orders.route_date', '=', date)
        .orderBy('refunds.created_ms', 'desc')
        .orderBy('refunds.refund_no')
        .execute()
      return { date, refunds: rows.map(refundView) }
    },
  })
}
