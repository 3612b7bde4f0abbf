import { z } from 'zod'
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
