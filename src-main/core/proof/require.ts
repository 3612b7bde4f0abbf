import { TuotouError } from '../../../shared/errors'
import type { DeviceDb } from '../db'
import { missingProof, proofState, type ProofOrder } from './store'

/**
 * Completion is blocked until the order's policy is met for the handover chosen (or a failed "not home"): one
 * precondition every completing path calls, inside or before its transaction. `proof.required` names what is
 * missing, and, for "not home", whether the call attempt the policy asks for is missing.
 */
export function requireProof(
  db: DeviceDb,
  order: ProofOrder & { waybill: string },
  situation: 'handover' | 'not_home',
): void {
  const state = proofState(db, order)
  const missing = missingProof(state, situation)
  const callMissing =
    situation === 'not_home' &&
    state.policy.notHome.call &&
    !state.override &&
    db.get('SELECT 1 FROM call_attempts WHERE order_id = ? AND attempt = ?', [order.order_id, order.attempt]) ===
      undefined
  if (missing.length === 0 && !callMissing) return
  throw new TuotouError('proof.required', `order ${order.waybill} needs proof before it can be completed`, {
    waybill: order.waybill,
    handover: state.handover,
    missing: missing.map((req) => req.join('|')).join(','),
    callMissing,
  })
}

/** Whether the order may complete now for its chosen handover (the prepaid scan asks, and never throws). */
export function proofMet(db: DeviceDb, order: ProofOrder): boolean {
  return missingProof(proofState(db, order), 'handover').length === 0
}
