import {
  DELIVERY_CODE_MAX_ATTEMPTS,
  DeliveryCodeCheck,
  Handover,
  NO_PROOF,
  OverrideReason,
  ProofKind,
  ProofPolicy,
  type ManifestProof,
  type ProofRequirement,
} from '../../../shared/api/proof'
import { z } from 'zod'
import type { EvidenceKind } from '../../../shared/api/evidence'
import type { ProofView } from '../../../shared/ipc/proof'
import type { DeviceDb } from '../db'
import { evidenceKindsOf } from './evidence'

/** The order as this module needs it (the manifest's row), so it depends on no read model. */
export interface ProofOrder {
  order_id: string
  attempt: number
  status: string
}

/** Stores (or clears) an order's proof from the manifest, inside the manifest merge's transaction. */
export function storeOrderProof(db: DeviceDb, orderId: string, proof: ManifestProof | undefined): void {
  if (!proof) {
    db.run('DELETE FROM order_proof WHERE order_id = ?', [orderId])
    return
  }
  db.run(
    `INSERT INTO order_proof (order_id, policy, code_check, held_tries, held_verified) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (order_id) DO UPDATE SET policy = excluded.policy, code_check = excluded.code_check,
       held_tries = excluded.held_tries, held_verified = excluded.held_verified`,
    [
      orderId,
      JSON.stringify(proof.policy),
      proof.code ? JSON.stringify(proof.code) : null,
      proof.codeTries?.used ?? 0,
      proof.codeTries?.verified ? 1 : 0,
    ],
  )
}

const parsed = <T>(schema: z.ZodType<T>, text: string | null): T | null => {
  if (text === null) return null
  try {
    return schema.safeParse(JSON.parse(text)).data ?? null
  } catch {
    return null
  }
}

/** Everything known about one attempt's proof, read in one place. */
export interface ProofState {
  policy: ProofPolicy
  check: DeliveryCodeCheck | null
  handover: Handover
  tries: number
  codeVerified: boolean
  override: { reason: OverrideReason; note: string | null; waived: ProofKind[]; at: string } | null
  /** The photos and signatures stored for this attempt. */
  evidence: Set<EvidenceKind>
}

export function proofState(db: DeviceDb, order: ProofOrder): ProofState {
  const row = db.get<{ policy: string; code_check: string | null; held_tries: number; held_verified: number }>(
    'SELECT policy, code_check, held_tries, held_verified FROM order_proof WHERE order_id = ?',
    [order.order_id],
  )
  const handover = db.get<{ handover: string }>(
    'SELECT handover FROM proof_handover WHERE order_id = ? AND attempt = ?',
    [order.order_id, order.attempt],
  )
  const tries = db.get<{ n: number; ok: number | null }>(
    'SELECT COALESCE(MAX(try), 0) AS n, MAX(ok) AS ok FROM proof_code_tries WHERE order_id = ? AND attempt = ?',
    [order.order_id, order.attempt],
  )!
  const override = db.get<{ reason: string; note: string | null; waived: string; at: string }>(
    'SELECT reason, note, waived, at FROM proof_overrides WHERE order_id = ? AND attempt = ?',
    [order.order_id, order.attempt],
  )
  const reason = override ? OverrideReason.safeParse(override.reason).data : undefined
  return {
    // A policy this version cannot read asks for what it can read of nothing: the backend judges the events.
    policy: (row && parsed(ProofPolicy, row.policy)) ?? NO_PROOF,
    check: row ? parsed(DeliveryCodeCheck, row.code_check) : null,
    handover: Handover.safeParse(handover?.handover).data ?? 'recipient',
    // Tries this terminal made, or more if the backend holds more (another terminal before a device swap).
    tries: Math.max(tries.n, row?.held_tries ?? 0),
    codeVerified: tries.ok === 1 || row?.held_verified === 1,
    override:
      override && reason
        ? {
            reason,
            note: override.note,
            waived: parsed(z.array(ProofKind), override.waived) ?? [],
            at: override.at,
          }
        : null,
    evidence: evidenceKindsOf(db, order.order_id, order.attempt),
  }
}

/** The tries left at the code: the check's own limit, never more than five. */
export function triesLeft(state: ProofState): number {
  const limit = Math.min(state.check?.maxAttempts ?? DELIVERY_CODE_MAX_ATTEMPTS, DELIVERY_CODE_MAX_ATTEMPTS)
  return Math.max(0, limit - state.tries)
}

/** What the situation asks for: a handover (the one chosen) or a failed "not home". */
export function requirementsOf(state: ProofState, situation: 'handover' | 'not_home'): ProofRequirement[] {
  return situation === 'handover' ? state.policy.handover[state.handover] : state.policy.notHome.requires
}

/**
 * The requirements not met yet. A right delivery code meets any requirement that code meets, a stored photo or
 * signature any that it meets; an override waives everything.
 */
export function missingProof(state: ProofState, situation: 'handover' | 'not_home'): ProofRequirement[] {
  if (state.override) return []
  return requirementsOf(state, situation).filter(
    (req) =>
      !(req.includes('code') && state.codeVerified) && !req.some((kind) => kind !== 'code' && state.evidence.has(kind)),
  )
}

/** The order card's view of an order's proof; null when its policy asks for nothing (or it has none). */
export function proofView(db: DeviceDb, order: ProofOrder): ProofView | null {
  const has = db.get('SELECT 1 FROM order_proof WHERE order_id = ?', [order.order_id])
  if (!has) return null
  const state = proofState(db, order)
  const missing = new Set(missingProof(state, 'handover'))
  return {
    handover: state.handover,
    required: requirementsOf(state, 'handover').map((anyOf) => ({ anyOf, met: !missing.has(anyOf) })),
    handoverNeeds: state.policy.handover,
    notHome: state.policy.notHome,
    code: state.check ? { triesLeft: triesLeft(state), verified: state.codeVerified } : null,
    override: state.override
      ? { reason: state.override.reason, note: state.override.note, waived: state.override.waived }
      : null,
    evidence: db
      .all<{ kind: EvidenceKind; captured_at: string }>(
        'SELECT kind, captured_at FROM evidence WHERE order_id = ? AND attempt = ? ORDER BY captured_at',
        [order.order_id, order.attempt],
      )
      .map((row) => ({ kind: row.kind, capturedAt: row.captured_at })),
    met: missing.size === 0,
  }
}

/** The handover recorded with a completion: only for an order with a proof policy (older payloads stay as they were). */
export function chosenHandover(db: DeviceDb, order: ProofOrder): Handover | null {
  if (!db.get('SELECT 1 FROM order_proof WHERE order_id = ?', [order.order_id])) return null
  return proofState(db, order).handover
}
