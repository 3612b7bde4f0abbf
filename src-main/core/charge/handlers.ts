import { ChargeResponse, FINAL_CHARGE_STATES } from '../../../shared/api/charges'
import type { ScanSource } from '../../../shared/api/events'
import { INTENT_ALREADY_PAID } from '../../../shared/api/intents'
import type { ChargeView } from '../../../shared/ipc/contract'
import { TuotouError } from '../../../shared/errors'
import { looksLikePaymentCode, maskPaymentCode } from '../../../shared/payment-code'
import { answer, type CoreContext, type HandlersFor } from '../context'
import { requireShift } from '../device/status'
import { requireCollectable } from '../doorstep/require'
import { currentIntent, findOrder } from '../manifest/views'
import { recordIntentUpdate, publishPaymentUpdate, type Applied } from '../payments/apply'
import { pollIntent } from '../payments/handlers'
import { chargeForIntent, chargeView, latestCharge, OPEN_CHARGE_STATES, type ChargeRow } from './store'

export type ChargeHandlers = HandlersFor<'chargePaymentCode' | 'getCharge'>

/** How long the device waits for the backend's first answer; the backend itself waits at most 8 s for the acquirer's. */
const CHARGE_TIMEOUT_MS = 12_000

function viewOf(ctx: CoreContext, row: ChargeRow): ChargeView {
  return chargeView(row, findOrder(ctx.db, row.order_id)?.waybill ?? '')
}

/**
 * Applies what the backend says of a charge (its answer, a poll, the stream's `charge`) in one transaction with
 * `alsoInTransaction` (the stream cursor): the device's row takes the backend's state, and a paid charge is
 * recorded as every payment is (`recordIntentUpdate`), completing the order as digital. A charge the device never
 * saw (another terminal's) changes nothing. Returns the view when something changed.
 */
export function applyChargeAnswer(
  ctx: CoreContext,
  charge: ChargeResponse,
  via: 'push' | 'poll',
  alsoInTransaction?: () => void,
): ChargeView | null {
  const at = ctx.now().toISOString()
  const result = ctx.db.transaction((): { row: ChargeRow; payment: Applied | null } | null => {
    alsoInTransaction?.()
    const row = chargeForIntent(ctx.db, charge.intentId, charge.chargeNo)
    if (!row) return null
    const changed = ctx.db.run(
      `UPDATE charges SET charge_no = ?, state = ?, failure = ?, limit_fen = ?, deadline_at = ?, updated_at = ?
       WHERE local_id = ? AND (charge_no IS NOT ? OR state IS NOT ? OR failure IS NOT ? OR limit_fen IS NOT ?)
         AND state NOT IN ('paid')`,
      [
        charge.chargeNo,
        charge.status,
        charge.failure,
        charge.limitFen,
        charge.deadlineAt,
        at,
        row.local_id,
        charge.chargeNo,
        charge.status,
        charge.failure,
        charge.limitFen,
      ],
    ).changes
    const payment =
      charge.status === 'paid' && charge.transactionId && charge.paidAt
        ? recordIntentUpdate(
            ctx,
            {
              intentId: charge.intentId,
              status: 'paid',
              amountFen: charge.amountFen,
              paidAt: charge.paidAt,
              transactionId: charge.transactionId,
            },
            via,
            at,
          )
        : null
    if (changed === 0 && !payment) return null
    return { row: ctx.db.get<ChargeRow>('SELECT * FROM charges WHERE local_id = ?', [row.local_id])!, payment }
  })
  if (!result) return null
  if (FINAL_CHARGE_STATES.includes(charge.status)) ctx.charges.stop(result.row.order_id)
  const view = viewOf(ctx, result.row)
  ctx.events.emit('chargeUpdated', view)
  if (result.payment) publishPaymentUpdate(ctx, result.payment, { watched: true })
  return view
}

/** Asks the backend how a charge stands and applies the answer; true while it is still worth asking. */
export async function pollCharge(ctx: CoreContext, chargeNo: string): Promise<boolean> {
  const { token } = requireShift(ctx)
  const charge = await ctx.backend.request({
    method: 'GET',
    path: `/api/v1/charges/${encodeURIComponent(chargeNo)}`,
    token,
    response: ChargeResponse,
    timeoutMs: 5000,
  })
  applyChargeAnswer(ctx, charge, 'poll')
  return !FINAL_CHARGE_STATES.includes(charge.status)
}

function setState(ctx: CoreContext, row: ChargeRow, state: 'offline'): ChargeView {
  ctx.db.run(`UPDATE charges SET state = ?, updated_at = ? WHERE local_id = ? AND charge_no IS NULL`, [
    state,
    ctx.now().toISOString(),
    row.local_id,
  ])
  const view = viewOf(ctx, ctx.db.get<ChargeRow>('SELECT * FROM charges WHERE local_id = ?', [row.local_id])!)
  ctx.events.emit('chargeUpdated', view)
  return view
}

/**
 * The courier scanned the customer's payment code (付款码) for the order in hand (`shared/ipc/contract.ts`). The
 * charge is written before it is sent and follows the backend to its end: the first answer, then the stream and
 * a poll (about every second for 15 s, then every 3–5 s) until it is paid, failed or revoked. Without coverage
 * nothing is charged and the state says so (`offline`): the QR, a receipt or cash still work.
 */
export async function chargePaymentCode(
  ctx: CoreContext,
  orderId: string,
  code: string,
  _source: ScanSource,
): Promise<ChargeView> {
  const authCode = code.trim()
  if (!looksLikePaymentCode(authCode)) {
    throw new TuotouError('charge.not_a_code', "that is not a customer's payment code")
  }
  const order = requireCollectable(ctx, orderId)
  const intent = currentIntent(ctx.db, orderId)
  if (!intent) throw new TuotouError('payment.no_intent', `order ${order.waybill} has no payment intent`)
  const open = latestCharge(ctx.db, orderId)
  if (open && OPEN_CHARGE_STATES.includes(open.state)) {
    throw new TuotouError('charge.in_progress', "the customer's payment code is still being charged", {
      state: open.state,
    })
  }
  const { token } = requireShift(ctx)
  const at = ctx.now().toISOString()
  const localId = Number(
    ctx.db.run(
      `INSERT INTO charges (order_id, intent_id, charge_no, state, failure, limit_fen, code_masked, amount_fen,
         deadline_at, created_at, updated_at)
       VALUES (?, ?, NULL, 'sending', NULL, NULL, ?, ?, NULL, ?, ?)`,
      // The intent's amount: the order's, or a split's digital part.
      [orderId, intent.intent_id, maskPaymentCode(authCode), intent.amount_fen, at, at],
    ).lastInsertRowid,
  )
  const row = ctx.db.get<ChargeRow>('SELECT * FROM charges WHERE local_id = ?', [localId])!
  ctx.payments.stop(orderId)
  ctx.doorstep.collect('charge')
  ctx.doorstep.changed()
  ctx.events.emit('chargeUpdated', viewOf(ctx, row))

  let answered: ChargeResponse
  try {
    answered = await ctx.backend.request({
      method: 'POST',
      path: `/api/v1/intents/${encodeURIComponent(intent.intent_id)}/charge`,
      token,
      body: { authCode },
      response: ChargeResponse,
      timeoutMs: CHARGE_TIMEOUT_MS,
    })
  } catch (error) {
    if (error instanceof TuotouError && error.code === 'backend.unreachable') {
      // Had it reached the backend after all, its end still comes on the stream, by intent, to this row.
      return setState(ctx, row, 'offline')
    }
    ctx.db.run('DELETE FROM charges WHERE local_id = ? AND charge_no IS NULL', [localId])
    if (ctx.doorstep.inHand() === orderId && ctx.doorstep.collecting() === 'charge') {
      ctx.doorstep.collect(null)
      ctx.doorstep.changed()
    }
    // The QR was paid a moment ago: that payment is learned and completes the order.
    if (error instanceof TuotouError && error.code === INTENT_ALREADY_PAID) {
      await pollIntent(ctx, intent.intent_id).catch(() => false)
    }
    throw error
  }
  const view = applyChargeAnswer(ctx, answered, 'poll') ?? viewOf(ctx, latestCharge(ctx.db, orderId)!)
  if (!FINAL_CHARGE_STATES.includes(answered.status)) ctx.charges.watch(orderId, answered.chargeNo)
  return view
}

/**
 * Picks up the charges a restart interrupted: each one the backend numbered is asked about again; one sent with no
 * answer yet is no longer waited for here (its end still comes on the stream, by intent).
 */
export function resumeCharges(ctx: CoreContext): void {
  ctx.db.run(`UPDATE charges SET state = 'offline', updated_at = ? WHERE state = 'sending' AND charge_no IS NULL`, [
    ctx.now().toISOString(),
  ])
  const open = ctx.db.all<ChargeRow>(
    `SELECT * FROM charges WHERE state IN ('sending', 'user_paying', 'unknown') AND charge_no IS NOT NULL`,
  )
  for (const row of open) ctx.charges.watch(row.order_id, row.charge_no!)
}

export function chargeHandlers(ctx: CoreContext): ChargeHandlers {
  return {
    chargePaymentCode: ({ orderId, code, source }) => chargePaymentCode(ctx, orderId, code, source),
    getCharge: ({ orderId }) =>
      answer(() => {
        const row = latestCharge(ctx.db, orderId)
        return row ? viewOf(ctx, row) : null
      }),
  }
}
