import type { ChargeFailure } from '../../../shared/api/acquirer'
import type { ChargeView, ChargeViewState } from '../../../shared/ipc/contract'
import { TuotouError } from '../../../shared/errors'
import type { DeviceDb } from '../db'

export interface ChargeRow {
  local_id: number
  order_id: string
  intent_id: string
  charge_no: string | null
  state: ChargeViewState
  failure: ChargeFailure | null
  limit_fen: number | null
  code_masked: string
  amount_fen: number
  deadline_at: string | null
  created_at: string
  updated_at: string
}

/** A charge still under way: the backend may yet take the customer's money for it. */
export const OPEN_CHARGE_STATES: readonly ChargeViewState[] = ['sending', 'user_paying', 'unknown']

export function latestCharge(db: DeviceDb, orderId: string): ChargeRow | null {
  return db.get<ChargeRow>('SELECT * FROM charges WHERE order_id = ? ORDER BY local_id DESC LIMIT 1', [orderId]) ?? null
}

export function chargeForIntent(db: DeviceDb, intentId: string, chargeNo: string): ChargeRow | null {
  return (
    db.get<ChargeRow>(
      `SELECT * FROM charges WHERE intent_id = ? AND (charge_no = ? OR charge_no IS NULL)
       ORDER BY (charge_no IS NULL), local_id DESC LIMIT 1`,
      [intentId, chargeNo],
    ) ?? null
  )
}

export function chargeView(row: ChargeRow, waybill: string): ChargeView {
  return {
    orderId: row.order_id,
    intentId: row.intent_id,
    waybill,
    amountFen: row.amount_fen,
    chargeNo: row.charge_no,
    state: row.state,
    failure: row.failure,
    limitFen: row.limit_fen,
    code: row.code_masked,
    deadlineAt: row.deadline_at,
    updatedAt: row.updated_at,
  }
}

/**
 * Showing the QR, opening cash or "paid, to be verified" while the customer's code is being charged could take
 * the money twice: each waits until the charge has ended (paid, failed or revoked).
 */
export function requireNoOpenCharge(db: DeviceDb, orderId: string): void {
  const open = latestCharge(db, orderId)
  if (open && OPEN_CHARGE_STATES.includes(open.state)) {
    throw new TuotouError('charge.in_progress', "the customer's payment code is still being charged", {
      state: open.state,
    })
  }
}
