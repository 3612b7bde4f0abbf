import { z } from 'zod'
import { EvidenceKind, EvidenceMime, MAX_EVIDENCE_BYTES, MIME_OF_KIND, SignatureStrokes } from '../api/evidence'
import { OrderId } from '../api/ids'
import { Handover, OverrideReason, ProofKind, ProofRequirement } from '../api/proof'

/** The proof an open order needs at the door, and what is met, for the order card. */
export const ProofView = z.object({
  handover: Handover,
  /** What the chosen handover asks for: each requirement met by any one of its kinds. */
  required: z.array(z.object({ anyOf: ProofRequirement, met: z.boolean() })),
  /** Which handovers ask for anything, so the card can say so on their buttons. */
  handoverNeeds: z.record(Handover, z.array(ProofRequirement)),
  /** What a failed "not home" needs. */
  notHome: z.object({ requires: z.array(ProofRequirement), call: z.boolean() }),
  /** The delivery code, when the order has one: tries left (of 5, across restarts) and whether it was right. */
  code: z.object({ triesLeft: z.number().int().min(0), verified: z.boolean() }).nullable(),
  /** The photos and signatures captured for this attempt (absent from an older core). */
  evidence: z.array(z.object({ kind: EvidenceKind, capturedAt: z.string() })).optional(),
  override: z.object({ reason: OverrideReason, note: z.string().nullable(), waived: z.array(ProofKind) }).nullable(),
  /** Whether the chosen handover's policy is met, so collection may start. */
  met: z.boolean(),
})
export type ProofView = z.infer<typeof ProofView>

export const ChooseHandoverRequest = z.object({ orderId: OrderId, handover: Handover }).strict()

/** Six digits exactly; anything else is refused before it counts as a try. */
export const SubmitCodeRequest = z
  .object({ orderId: OrderId, code: z.string().regex(/^\d{6}$/, 'must be 6 digits') })
  .strict()

export const OverrideProofRequest = z
  .object({ orderId: OrderId, reason: OverrideReason, note: z.string().trim().max(200).nullable() })
  .strict()

/**
 * A photo (JPEG) or a signature (PNG, with its strokes) for the order in hand, from the renderer, which captured
 * and compressed it: base64 of at most `MAX_EVIDENCE_BYTES`. The core checks the image's own magic bytes too.
 */
export const CaptureEvidenceRequest = z
  .object({
    orderId: OrderId,
    kind: EvidenceKind,
    mime: EvidenceMime,
    data: z
      .string()
      .min(8)
      .max(Math.ceil(MAX_EVIDENCE_BYTES / 3) * 4)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64'),
    strokes: SignatureStrokes.optional(),
  })
  .strict()
  .refine((r) => MIME_OF_KIND[r.kind] === r.mime, { message: 'a photo is image/jpeg, a signature image/png' })
  .refine((r) => (r.kind === 'signature') === (r.strokes !== undefined), {
    message: 'a signature carries its strokes, a photo none',
  })
export type CaptureEvidenceRequest = z.infer<typeof CaptureEvidenceRequest>
