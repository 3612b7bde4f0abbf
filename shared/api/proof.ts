import { z } from 'zod'
import { Fen } from '../money'
import { EvidenceRecord } from './evidence'
import { OrderId, StaffId, Timestamp } from './ids'

/** Where the depot's proof endpoints live, under `/api/v1`. */
export const PROOF_PATHS = { rules: '/depot/proof/rules', proofs: '/depot/dashboard/proofs' } as const

/** The kinds of proof an order's policy can ask for at the door. */
export const ProofKind = z.enum(['code', 'photo', 'signature'])
export type ProofKind = z.infer<typeof ProofKind>

/** How the parcel was handed over: each way has its own proof rule. */
export const Handover = z.enum(['recipient', 'family', 'door', 'locker', 'point'])
export type Handover = z.infer<typeof Handover>
export const HANDOVERS = Handover.options

/** One requirement: any one of its kinds satisfies it (e.g. a delivery code or a signature). */
export const ProofRequirement = z.array(ProofKind).min(1).max(3)
export type ProofRequirement = z.infer<typeof ProofRequirement>

const Requirements = z.array(ProofRequirement).max(3)

/**
 * What one order needs before the terminal lets it be completed, decided by the backend from the depot's rules
 * and sent with the manifest: for each way of handing over, every requirement listed; for a failed "not home",
 * its requirements and whether a call attempt must come first.
 */
export const ProofPolicy = z
  .object({
    handover: z
      .object({
        recipient: Requirements,
        family: Requirements,
        door: Requirements,
        locker: Requirements,
        point: Requirements,
      })
      .strict(),
    notHome: z.object({ requires: Requirements, call: z.boolean() }).strict(),
  })
  .strict()
export type ProofPolicy = z.infer<typeof ProofPolicy>

/** The policy of an order that needs no proof at all: the pilot's two-action delivery. */
export const NO_PROOF: ProofPolicy = {
  handover: { recipient: [], family: [], door: [], locker: [], point: [] },
  notHome: { requires: [], call: false },
}

/**
 * A depot's proof rules, which the backend turns into each order's policy. `valueOverFen`: an order worth more
 * than this needs one of `valueProof` when handed to a person (null: no value rule). `unattendedPhoto`: left at the
 * door, in a locker or at a collection point needs a photo. `familySignature`: a named family member or neighbour
 * signs. `notHomePhoto` / `notHomeCall`: a failed "not home" needs a photo of the door / a call attempt first.
 */
export const ProofRules = z
  .object({
    valueOverFen: Fen.nullable(),
    valueProof: z
      .array(z.enum(['code', 'signature']))
      .min(1)
      .max(2),
    unattendedPhoto: z.boolean(),
    familySignature: z.boolean(),
    notHomePhoto: z.boolean(),
    notHomeCall: z.boolean(),
  })
  .strict()
export type ProofRules = z.infer<typeof ProofRules>

/** A depot that configured nothing asks for no proof: a normal delivery stays at two actions. */
export const DEFAULT_PROOF_RULES: ProofRules = {
  valueOverFen: null,
  valueProof: ['code', 'signature'],
  unattendedPhoto: false,
  familySignature: false,
  notHomePhoto: false,
  notHomeCall: false,
}

/** The example rules: over ¥500 a code or a signature, a photo when unattended or not home. */
export const EXAMPLE_PROOF_RULES: ProofRules = {
  valueOverFen: 50_000,
  valueProof: ['code', 'signature'],
  unattendedPhoto: true,
  familySignature: false,
  notHomePhoto: true,
  notHomeCall: true,
}

/** The policy the depot's rules give an order worth `codFen` (or declared value). Pure: the tests state it. */
export function policyFor(rules: ProofRules, valueFen: number): ProofPolicy {
  const valuable = rules.valueOverFen !== null && valueFen > rules.valueOverFen
  const person: ProofRequirement[] = valuable ? [[...rules.valueProof]] : []
  const unattended: ProofRequirement[] = rules.unattendedPhoto ? [['photo']] : []
  return {
    handover: {
      recipient: person,
      family: rules.familySignature ? [...person.filter((r) => !r.includes('signature')), ['signature']] : person,
      door: unattended,
      locker: unattended,
      point: unattended,
    },
    notHome: { requires: rules.notHomePhoto ? [['photo']] : [], call: rules.notHomeCall },
  }
}

/** Whether any way of handing over the order can ask for its delivery code, so one must be issued. */
export function policyNeedsCode(policy: ProofPolicy): boolean {
  return Object.values(policy.handover).some((reqs) => reqs.some((req) => req.includes('code')))
}

/**
 * Salted scrypt parameters for the delivery code. N = 2^15, r = 8 takes 32 MB and about 60 to 150 ms a check
 * on the device (measured in `shared/proof/code.test.ts`); the whole 6-digit space then costs about 17 to 40
 * CPU-hours for one order, which outlasts the order's day, and the salt makes every order's work its own.
 */
export const DELIVERY_CODE_SCRYPT = { N: 32_768, r: 8, p: 1 } as const

/** The number of tries the terminal allows for a delivery code, counted across restarts. */
export const DELIVERY_CODE_MAX_ATTEMPTS = 5

/** What the manifest carries for checking an order's delivery code offline: never the code itself. */
export const DeliveryCodeCheck = z
  .object({
    algorithm: z.literal('scrypt'),
    /** Per-order salt, 16 bytes, base64url. */
    salt: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
    /** scrypt(code, salt), 32 bytes, base64url. */
    hash: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    N: z.literal(DELIVERY_CODE_SCRYPT.N),
    r: z.literal(DELIVERY_CODE_SCRYPT.r),
    p: z.literal(DELIVERY_CODE_SCRYPT.p),
    maxAttempts: z.number().int().min(1).max(10),
  })
  .strict()
export type DeliveryCodeCheck = z.infer<typeof DeliveryCodeCheck>

/** An order's proof as the manifest sends it: its policy, and how to check its delivery code when it has one. */
export const ManifestProof = z
  .object({
    policy: ProofPolicy,
    code: DeliveryCodeCheck.nullable(),
    /**
     * Tries at this attempt's code the backend already holds (from any of the courier's terminals), and whether one
     * was right: a terminal that takes over after a device swap carries on from there, never from five fresh tries.
     */
    codeTries: z
      .object({ used: z.number().int().min(0).max(10), verified: z.boolean() })
      .strict()
      .optional(),
  })
  .strict()
export type ManifestProof = z.infer<typeof ManifestProof>

/**
 * Why a courier completed without the proof the policy asked for. `supervisor_approved` names the supervisor
 * who approved it (by phone, say); `other` needs a note.
 */
export const OverrideReason = z.enum(['supervisor_approved', 'recipient_no_code', 'camera_broken', 'other'])
export type OverrideReason = z.infer<typeof OverrideReason>

/** `GET|PUT /api/v1/depot/proof/rules` (supervisor): the depot's rules, and who set them when. */
export const ProofRulesView = z.object({
  rules: ProofRules,
  updatedAt: Timestamp.nullable(),
  updatedBy: z.string().nullable(),
})
export type ProofRulesView = z.infer<typeof ProofRulesView>

/** One delivery's proof, as a supervisor of its depot sees it. */
export const ProofRecord = z.object({
  orderId: OrderId,
  waybill: z.string(),
  attempt: z.number().int().min(1),
  staffId: StaffId,
  courierName: z.string(),
  outcome: z.enum(['delivered', 'failed', 'open']),
  handover: Handover.nullable(),
  codFen: Fen,
  /** What the policy asked for at the handover recorded (or to a recipient while open). */
  required: z.array(ProofRequirement),
  codeVerified: z.boolean(),
  codeTries: z.number().int().min(0),
  override: z
    .object({ reason: OverrideReason, note: z.string().nullable(), waived: z.array(ProofKind), at: Timestamp })
    .nullable(),
  /** The photos and signatures announced for this attempt, and whether each file is stored. */
  evidence: z.array(EvidenceRecord),
  /**
   * What the policy asked and nothing met (no right code, no photo or signature announced, no override), for a
   * delivery or failure the courier recorded: the backend accepts the completion (it happened) and flags this.
   */
  unmet: z.array(ProofRequirement),
  at: Timestamp.nullable(),
})
export type ProofRecord = z.infer<typeof ProofRecord>

/** `GET /api/v1/depot/dashboard/proofs?date` */
export const ProofsResponse = z.object({
  date: z.string(),
  proofs: z.array(ProofRecord),
  totals: z.object({
    withProof: z.number().int().min(0),
    overrides: z.number().int().min(0),
    byCourier: z.array(
      z.object({ staffId: StaffId, withProof: z.number().int().min(0), overrides: z.number().int().min(0) }),
    ),
  }),
})
export type ProofsResponse = z.infer<typeof ProofsResponse>
