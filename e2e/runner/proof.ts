import { z } from 'zod'
import {
  DEFAULT_PROOF_RULES,
  DELIVERY_CODE_MAX_ATTEMPTS,
  Handover,
  OverrideReason,
  policyFor,
  policyNeedsCode,
  type ProofKind,
  type ProofRequirement,
  type ProofRules,
} from '../../shared/api/proof'
import { formatFen } from '../../shared/money'
import { Amount } from './schema-values'

/**
 * Proof of delivery in a round file (issue 14), kept in one module so the round format's other additions merge
 * around it: the depot's proof rules (`proofRules:`, which the backend turns into each order's policy), what the
 * courier gives at a stop (`proof:` on the stop: how the parcel was handed over, the delivery code typed right,
 * wrong then right, or wrong until the tries run out, a photo, a signature, an override with its reason), and the
 * expectations on them (`expect.proof`). The plan checks each stop's proof against the policy its rules give it,
 * so a round that could not be played says so before it starts.
 */

/** The depot's rules, as a round writes them: money as quoted yuan, the rest as `ProofRules`. */
export const ProofRulesEntry = z.strictObject({
  /** An order worth more than this needs one of `valueProof` when handed to a person; null or left out: none. */
  valueOver: z.null().or(Amount).optional(),
  valueProof: z
    .array(z.enum(['code', 'signature'], { error: 'valueProof lists code and/or signature' }))
    .min(1, { error: 'valueProof lists at least one of code and signature' })
    .max(2)
    .default(['code', 'signature']),
  unattendedPhoto: z.boolean({ error: 'unattendedPhoto is true or false' }).default(false),
  familySignature: z.boolean({ error: 'familySignature is true or false' }).default(false),
  notHomePhoto: z.boolean({ error: 'notHomePhoto is true or false' }).default(false),
  notHomeCall: z.boolean({ error: 'notHomeCall is true or false' }).default(false),
})
export type ProofRulesEntry = z.output<typeof ProofRulesEntry>

export const rulesOf = (entry: ProofRulesEntry | undefined): ProofRules =>
  entry
    ? {
        valueOverFen: entry.valueOver ?? null,
        valueProof: entry.valueProof,
        unattendedPhoto: entry.unattendedPhoto,
        familySignature: entry.familySignature,
        notHomePhoto: entry.notHomePhoto,
        notHomeCall: entry.notHomeCall,
      }
    : DEFAULT_PROOF_RULES

/** How the courier types the delivery code the recipient reads from the SMS. */
export const CodeTyping = z.enum(['right', 'wrong-then-right', 'locked'], {
  error: 'code is right, wrong-then-right or locked (wrong until the tries run out)',
})
export type CodeTyping = z.infer<typeof CodeTyping>

/** What the courier gives at one door before collecting. */
export const StopProof = z.strictObject({
  handover: z
    .enum(Handover.options, { error: 'handover is recipient, family, door, locker or point' })
    .default('recipient'),
  code: CodeTyping.optional(),
  photo: z.boolean({ error: 'photo is true or false' }).default(false),
  signature: z.boolean({ error: 'signature is true or false' }).default(false),
  /** Completing without what is still asked, for this reason. */
  override: OverrideReason.optional(),
  /** With an override that needs one (other, supervisor_approved: the supervisor's name). */
  note: z.string().min(1).max(100).optional(),
})
export type StopProof = z.output<typeof StopProof>

const Count = z
  .number({ error: 'a count is a whole number' })
  .int({ error: 'a count is a whole number' })
  .min(0, { error: 'a count cannot be negative' })

/**
 * What must hold for proof at the end, read from the backend: proofs by kind (a code counts once verified), codes
 * verified and locked, overrides, and the evidence files the backend stored, each hashed again from its store.
 * Whatever is left out is held to what the stops planned; lost, duplicated and misfiled files are always 0.
 */
export const ProofExpectations = z.strictObject({
  given: z.partialRecord(z.enum(['code', 'photo', 'signature']), Count).optional(),
  codesVerified: Count.optional(),
  codesLocked: Count.optional(),
  overrides: Count.optional(),
  evidence: z
    .strictObject({
      uploaded: Count.optional(),
      verified: Count.optional(),
      lost: z.literal(0, { error: 'lost files are always expected to be 0' }).default(0),
      duplicated: z.literal(0, { error: 'duplicated files are always expected to be 0' }).default(0),
      misfiled: z.literal(0, { error: 'files on the wrong order are always expected to be 0' }).default(0),
    })
    .optional(),
})
export type ProofExpectations = z.output<typeof ProofExpectations>

/** A stop's proof as planned: what the courier does, and what the backend must end up holding for the order. */
export interface PlannedProof {
  handover: Handover
  code: CodeTyping | null
  photo: boolean
  signature: boolean
  override: OverrideReason | null
  note: string | null
  /** What the order's policy asks at this handover (each requirement met by any one of its kinds). */
  required: ProofRequirement[]
  expected: {
    codeVerified: boolean
    codeTries: number
    evidence: { photo: number; signature: number }
    override: OverrideReason | null
  }
}

export interface ProofTotals {
  given: Record<ProofKind, number>
  codesVerified: number
  codesLocked: number
  overrides: number
  /** Evidence files the stops add up to: every one must be stored and verified. */
  files: number
}

/**
 * A stop's proof against the policy its order gets: every kind given must be one a requirement still open takes
 * (the terminal offers nothing else), every requirement must be met or overridden, and an override needs
 * something left to override. `issue(field, message)` reports at the stop's field.
 */
export function planStopProof(
  stop: { n: number; codFen: number; action: string; proof: StopProof | undefined },
  rules: ProofRules,
  issue: (field: string, message: string) => void,
): PlannedProof | null {
  const policy = policyFor(rules, stop.codFen)
  const proof = stop.proof
  const delivers = stop.action !== 'prepaid' && stop.action !== 'fail'
  const asked = policy.handover.recipient
  if (!proof) {
    if (delivers && asked.length > 0) {
      issue(
        'proof',
        `the depot's rules ask ${describe(asked)} for this order (${formatFen(stop.codFen)}): give it a proof`,
      )
    }
    return null
  }
  if (!delivers) {
    issue('proof', `proof goes with a delivery the courier collects for, not ${stop.action}`)
    return null
  }
  const required = policy.handover[proof.handover]
  const code = proof.code ?? null
  const given: ProofKind[] = [
    ...(code && code !== 'locked' ? (['code'] as const) : []),
    ...(proof.photo ? (['photo'] as const) : []),
    ...(proof.signature ? (['signature'] as const) : []),
  ]
  let ok = true
  const asks = (kind: ProofKind): boolean => required.some((req) => req.includes(kind))
  if (code && (!asks('code') || !policyNeedsCode(policy))) {
    issue('proof', `handed over to ${proof.handover}, the order's policy asks no delivery code (${describe(required)})`)
    ok = false
  }
  for (const kind of ['photo', 'signature'] as const) {
    if (proof[kind] && !asks(kind)) {
      issue('proof', `handed over to ${proof.handover}, the order's policy asks no ${kind} (${describe(required)})`)
      ok = false
    }
  }
  // One requirement takes one proof: once it is met the terminal stops offering the others.
  for (const req of required) {
    const meeting = given.filter((kind) => req.includes(kind))
    if (meeting.length > 1) {
      issue('proof', `${meeting.join(' and ')} both meet "${req.join(' or ')}": the terminal takes one of them`)
      ok = false
    }
  }
  const unmet = required.filter((req) => !req.some((kind) => given.includes(kind)))
  if (code === 'locked' && !proof.override && !proof.signature) {
    issue('proof', 'with the code locked the order can only be completed with a signature or an override')
    ok = false
  }
  if (proof.override && unmet.length === 0) {
    issue('proof', 'an override needs something still asked for; everything here is met')
    ok = false
  }
  if (!proof.override && unmet.length > 0 && code !== 'locked') {
    issue('proof', `${describe(unmet)} is still asked for: give it, or an override with its reason`)
    ok = false
  }
  const noteNeeded = proof.override === 'other' || proof.override === 'supervisor_approved'
  if (noteNeeded && !proof.note) issue('proof', `an override for ${proof.override} needs a note`)
  if (!ok || (noteNeeded && !proof.note)) return null
  return {
    handover: proof.handover,
    code,
    photo: proof.photo,
    signature: proof.signature,
    override: proof.override ?? null,
    note: proof.note ?? null,
    required,
    expected: {
      codeVerified: code === 'right' || code === 'wrong-then-right',
      codeTries:
        code === null ? 0 : code === 'right' ? 1 : code === 'wrong-then-right' ? 2 : DELIVERY_CODE_MAX_ATTEMPTS,
      evidence: { photo: proof.photo ? 1 : 0, signature: proof.signature ? 1 : 0 },
      override: proof.override ?? null,
    },
  }
}

function describe(reqs: readonly ProofRequirement[]): string {
  return reqs.length === 0 ? 'nothing' : reqs.map((req) => req.join(' or ')).join(' and ')
}

/** What the planned stops add up to. */
export function proofTotals(proofs: readonly (PlannedProof | null | undefined)[]): ProofTotals {
  const totals: ProofTotals = {
    given: { code: 0, photo: 0, signature: 0 },
    codesVerified: 0,
    codesLocked: 0,
    overrides: 0,
    files: 0,
  }
  for (const proof of proofs) {
    if (!proof) continue
    if (proof.expected.codeVerified) {
      totals.given.code++
      totals.codesVerified++
    }
    if (proof.code === 'locked') totals.codesLocked++
    totals.given.photo += proof.expected.evidence.photo
    totals.given.signature += proof.expected.evidence.signature
    totals.files += proof.expected.evidence.photo + proof.expected.evidence.signature
    if (proof.override) totals.overrides++
  }
  return totals
}

/** What the round found for proof, for the report. */
export interface ProofSummary {
  given: Record<'code' | 'photo' | 'signature', number>
  codesVerified: number
  codesLocked: number
  overrides: number
  uploaded: number
  verified: number
  lost: number
  duplicated: number
  misfiled: number
}
