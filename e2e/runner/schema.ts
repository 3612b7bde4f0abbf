import { z } from 'zod'
import { RefundState } from '../../shared/api/closure'
import { FailureReason } from '../../shared/api/events'
import { WalletTier } from '../../shared/api/sandbox'
import { WAYBILL } from '../../shared/waybill'
import { ProofExpectations, ProofRulesEntry, StopProof } from './proof'
import { Amount, Duration } from './schema-values'

export { Amount, Duration }

/**
 * The round file's schema: what a tester writes in `e2e/rounds/*.yaml`. Everything is checked here, with a
 * message a tester can act on; `load.ts` puts each message on its line. Money is written as quoted yuan with
 * two decimals ("66.60") and becomes integer fen; durations are written "8s", "500ms" or "2m".
 */

/** What the courier does at a stop once the parcels are scanned. */
export type CourierAction =
  | { kind: 'digital' }
  | { kind: 'cash' }
  | { kind: 'cash-short' }
  | { kind: 'prepaid' }
  | { kind: 'to-be-verified' }
  /** The customer shows their wallet's payment code (付款码) and the courier scans it. */
  | { kind: 'charge' }
  /** A split payment: part digital (`split.digital`, paid as `split.pays` says), the rest in cash. */
  | { kind: 'split' }
  | { kind: 'fail'; reason: FailureReason }

const ACTIONS = 'digital, charge, split, cash, cash-short, prepaid, to-be-verified or fail:<reason>'

export const CourierActionText = z.unknown().transform((input, ctx): CourierAction => {
  if (typeof input !== 'string') {
    const missing = input === undefined ? 'missing: ' : ''
    ctx.addIssue({ code: 'custom', message: `${missing}the courier's action is one of ${ACTIONS}` })
    return z.NEVER
  }
  const text = input.trim()
  if (text === 'digital' || text === 'cash' || text === 'cash-short' || text === 'prepaid') return { kind: text }
  if (text === 'to-be-verified' || text === 'charge' || text === 'split') return { kind: text }
  const fail = /^fail:(.*)$/.exec(text)
  if (fail) {
    const reason = FailureReason.safeParse(fail[1]!.trim())
    if (reason.success) return { kind: 'fail', reason: reason.data }
    ctx.addIssue({
      code: 'custom',
      message: `"${fail[1]}" is not a failure reason; use fail:${FailureReason.options.join(', fail:')}`,
    })
    return z.NEVER
  }
  ctx.addIssue({ code: 'custom', message: `"${text}" is not a courier action; use ${ACTIONS}` })
  return z.NEVER
})

/** What the customer at the door does once the QR is on screen. */
export type CustomerBehaviour =
  /** Pays from their phone, `afterMs` after the QR appears. */
  | { kind: 'pays'; afterMs: number }
  /** Never pays: the courier waits their patience out and takes cash. */
  | { kind: 'never-pays' }
  /** Pays after the courier, tired of waiting, took cash: a late payment to refund. */
  | { kind: 'pays-after-cash' }
  /** Pays digitally and hands over cash as well, because the terminal (no coverage) never showed "paid". */
  | { kind: 'pays-twice' }
  /** Pays and shows the wallet's receipt QR, which the courier scans. */
  | { kind: 'shows-receipt' }

const CUSTOMERS = '"pays", "pays after 3s", "never pays", "pays after cash", "pays twice" or "shows receipt"'

export const CustomerText = z.unknown().transform((input, ctx): CustomerBehaviour => {
  const text = typeof input === 'string' ? input.trim().replace(/\s+/g, ' ') : null
  if (text === 'pays') return { kind: 'pays', afterMs: 0 }
  if (text === 'never pays') return { kind: 'never-pays' }
  if (text === 'pays after cash') return { kind: 'pays-after-cash' }
  if (text === 'pays twice') return { kind: 'pays-twice' }
  if (text === 'shows receipt') return { kind: 'shows-receipt' }
  const after = text === null ? null : /^pays after (.+)$/.exec(text)
  if (after) {
    const delay = Duration.safeParse(after[1])
    if (delay.success) return { kind: 'pays', afterMs: delay.data }
  }
  ctx.addIssue({
    code: 'custom',
    message: `${JSON.stringify(input)} is not a customer behaviour; use ${CUSTOMERS}`,
  })
  return z.NEVER
})

const StopNumber = z
  .number({ error: 'a stop number is a whole number, counted from 1' })
  .int({ error: 'a stop number is a whole number, counted from 1' })
  .min(1, { error: 'stops are counted from 1' })

const Fraction = z
  .number({ error: 'a share of stops is a number from 0 to 1, like 0.6' })
  .min(0, { error: 'a share of stops is from 0 to 1' })
  .max(1, { error: 'a share of stops is from 0 to 1' })

/**
 * With `action: charge`, the customer's wallet: its tier (tier 4 pays at most ¥2,000 a payment, tier 3 ¥5,000,
 * tier 2 ¥50,000), a PIN the customer must type (the runner types it on the wallet, `pinAfter` after the charge),
 * a customer who confirms on the phone after a while or never (`confirms: never`: the backend revokes the charge),
 * or a payment the wallet refuses (`fails`).
 */
export const WalletEntry = z.strictObject({
  tier: WalletTier.optional(),
  pin: z
    .string({ error: 'the wallet PIN is a quoted string of 6 digits, like "135790"' })
    .regex(/^\d{6}$/, { error: 'the wallet PIN is 6 digits' })
    .optional(),
  pinAfter: Duration.optional(),
  confirms: z
    .unknown()
    .transform((input, ctx): number | 'never' => {
      if (input === 'never') return 'never'
      const after = typeof input === 'string' ? /^after (.+)$/.exec(input.trim()) : null
      const ms = after ? Duration.safeParse(after[1]) : null
      if (ms?.success) return ms.data
      ctx.addIssue({ code: 'custom', message: 'confirms is "never" or "after 5s"' })
      return z.NEVER
    })
    .optional(),
  fails: z
    .enum(['insufficient_balance', 'user_cancelled'], { error: 'fails is insufficient_balance or user_cancelled' })
    .optional(),
})
export type WalletEntry = z.output<typeof WalletEntry>

/**
 * A split payment: the digital part (left out after a charge refused on the wallet's limit: the limit the terminal
 * suggests), paid by the part's QR or by the customer's code, and the rest taken in cash with one tap.
 */
export const SplitEntry = z.strictObject({
  digital: Amount.optional(),
  pays: z.enum(['qr', 'code'], { error: 'pays is qr or code' }).default('qr'),
})
export type SplitEntry = z.output<typeof SplitEntry>

/** One door on the round: one order, with its parcels, what the courier does and what the customer does. */
export const StopEntry = z.strictObject({
  /** The order's waybill; one is made up from the seed when left out. */
  waybill: z
    .string({ error: 'a waybill is written like JDVA00012345678' })
    .regex(WAYBILL, { error: 'a waybill is JD, two capital letters and eleven digits, like JDVA00012345678' })
    .optional(),
  /** The amount due at the door; "0.00" for a prepaid order. */
  cod: Amount,
  parcels: z
    .number({ error: 'parcels is a whole number from 1 to 9' })
    .int({ error: 'parcels is a whole number from 1 to 9' })
    .min(1, { error: 'an order has at least 1 parcel' })
    .max(9, { error: 'parcels is a whole number from 1 to 9' })
    .default(1),
  action: CourierActionText,
  customer: CustomerText.optional(),
  /** With `charge`: the customer's wallet and how they behave; a wallet that pays at once when left out. */
  wallet: WalletEntry.optional(),
  /** With `split`, or a `charge` refused on the wallet's limit: the split payment that follows. */
  split: SplitEntry.optional(),
  /** With `cash-short`: what the customer actually hands over. One yuan short when left out. */
  taken: Amount.optional(),
  /** A word for the report: why this stop is in the round. */
  note: z.string().max(200).optional(),
  /**
   * With the QR up, the courier scans another parcel by mistake (the next stop's): the terminal asks, and the
   * courier keeps this order, or switches to the other parcel and then comes back to this one.
   */
  stray: z.enum(['keep', 'switch'], { error: 'stray is keep or switch' }).optional(),
  /** Proof given before collecting (`proof.ts`): handover, delivery code, photo, signature, override. */
  proof: StopProof.optional(),
})
export type StopEntry = z.output<typeof StopEntry>

/** Stops made up from the seed, e.g. `generate: {stops: 150, cod: 0.6, digital: 0.8, multiParcel: 0.05}`. */
export const Generate = z.strictObject({
  stops: z
    .number({ error: 'generate.stops is how many stops to make, from 1 to 500' })
    .int({ error: 'generate.stops is a whole number' })
    .min(1, { error: 'generate at least 1 stop' })
    .max(500, { error: 'a round has at most 500 stops' }),
  /** Share of orders with money to collect (the rest are prepaid). */
  cod: Fraction.default(0.6),
  /** Share of COD orders the customer pays digitally (the rest in cash). */
  digital: Fraction.default(0.8),
  /** Share of orders with two parcels. */
  multiParcel: Fraction.default(0.05),
  /** Share of COD orders whose delivery fails, each with a reason drawn from the five. */
  failed: Fraction.default(0),
  /** Share of cash payments that come up short. */
  cashShort: Fraction.default(0),
})
export type Generate = z.output<typeof Generate>

const Range = { from: StopNumber, to: StopNumber }

/** Coverage along the round: no signal from stop `from` to stop `to` (both included), or a flapping link. */
export const CoverageEvent = z.union(
  [
    z.strictObject({ offline: z.strictObject(Range) }),
    z.strictObject({ blackhole: z.strictObject(Range) }),
    z.strictObject({ flapping: z.strictObject({ ...Range, every: Duration.default(2000) }) }),
  ],
  {
    error: 'a coverage event is {offline: {from, to}}, {blackhole: {from, to}} or {flapping: {from, to, every: "2s"}}',
  },
)
export type CoverageEvent = z.output<typeof CoverageEvent>

/** The backend dies before stop `at` (kill -9 by default) and comes back `down` later, on the same data. */
export const BackendEvent = z.strictObject({
  restart: z.strictObject({
    at: StopNumber,
    signal: z
      .enum(['SIGKILL', 'SIGTERM'], { error: 'signal is SIGKILL (a crash) or SIGTERM (a clean stop)' })
      .default('SIGKILL'),
    down: Duration.default(0),
  }),
})
export type BackendEvent = z.output<typeof BackendEvent>

/**
 * The terminal itself during the round: killed and started again on its data before stop `at` (`restart`), or
 * given up before stop `at` for a second terminal the courier logs in on (`swap`, a battery that died); the first
 * comes back at the end of the round and must learn that the shift moved.
 */
export const TerminalEvent = z.union(
  [
    z.strictObject({
      restart: z.strictObject({
        at: StopNumber,
        signal: z
          .enum(['SIGKILL', 'SIGTERM'], { error: 'signal is SIGKILL (a crash) or SIGTERM (a clean stop)' })
          .default('SIGKILL'),
      }),
    }),
    z.strictObject({ swap: z.strictObject({ at: StopNumber }) }),
  ],
  { error: 'a terminal event is {restart: {at, signal}} or {swap: {at}}' },
)
export type TerminalEvent = z.output<typeof TerminalEvent>

const Count = z
  .number({ error: 'a count is a whole number' })
  .int({ error: 'a count is a whole number' })
  .min(0, { error: 'a count cannot be negative' })

const MethodTotal = z.strictObject({ count: Count, amount: Amount.optional() })

/** What must hold at the end. Whatever is left out is held to what the stops planned. */
export const Expectations = z.strictObject({
  digital: MethodTotal.optional(),
  cash: MethodTotal.optional(),
  prepaid: z.strictObject({ count: Count }).optional(),
  /** Failed deliveries by reason; reasons left out are expected to be 0. */
  failed: z.partialRecord(FailureReason, Count, { error: `failed is a map of reason to count` }).optional(),
  /** Refund flags raised by the backend, by kind; kinds left out are expected to be 0. */
  flags: z
    .partialRecord(z.enum(['late_payment_after_cash', 'double_payment', 'unverified_not_found']), Count)
    .optional(),
  /** Charges of customers' payment codes by how they ended; outcomes left out are expected to be 0. */
  charges: z.partialRecord(z.enum(['paid', 'failed', 'revoked']), Count).optional(),
  /** "Paid, to be verified" settlements by the backend's verdict. */
  toBeVerified: z.partialRecord(z.enum(['verified', 'not_found', 'amount_mismatch', 'pending']), Count).optional(),
  /** With `refunds`: the refunds the supervisor approved, by the state each ended in. */
  refunds: z.partialRecord(RefundState, Count, { error: 'refunds is a map of refund state to count' }).optional(),
  /** The courier's money as the depot's money view tells it at the end; amounts left out are not checked. */
  money: z
    .strictObject({
      collected: Amount.optional(),
      refunded: Amount.optional(),
      refundsDue: Amount.optional(),
      net: Amount.optional(),
      owed: Amount.optional(),
    })
    .optional(),
  /** Every event the terminal wrote reached the backend, each applied once, and nothing is left pending. */
  syncedExactlyOnce: z.boolean({ error: 'syncedExactlyOnce is true or false' }).default(true),
  /** Proofs, codes, overrides and evidence files, read from the backend (`proof.ts`). */
  proof: ProofExpectations.optional(),
})
export type Expectations = z.output<typeof Expectations>

export const CourierEntry = z.strictObject({
  staffId: z
    .string({ error: 'staffId is a staff ID like SZ2001' })
    .regex(/^[A-Z]{2}\d{4,10}$/, { error: 'staffId is two capital letters and 4 to 10 digits, like SZ2001' }),
  pin: z
    .string({ error: 'the PIN is a quoted string of 4 to 6 digits, like "1234"' })
    .regex(/^\d{4,6}$/, { error: 'the PIN is 4 to 6 digits' }),
  name: z.string().min(1).max(20).default('李强'),
})

/** A whole round file. */
export const RoundFile = z.strictObject({
  /** A name for the progress line and the report. */
  round: z.string({ error: 'round is the round\'s name, e.g. "Xiangcheng morning"' }).min(1).max(80),
  courier: CourierEntry.default({ staffId: 'SZ2001', pin: '1234', name: '李强' }),
  /** Anything made up (generated stops, waybills) comes from this; the same seed plays the same round. */
  seed: z
    .union([z.string().min(1).max(80), z.number().int()], { error: 'seed is a word or a whole number' })
    .optional(),
  /** How long the courier waits at a QR for a customer who does not pay before taking cash. */
  patience: Duration.default(12_000),
  /** How the acquirer sends its payment notifications, for the whole round. */
  acquirer: z
    .strictObject({
      delay: Duration.default(0),
      duplicates: z
        .number({ error: 'duplicates is how many extra copies of each notification, 0 to 5' })
        .int()
        .min(0)
        .max(5, { error: 'the acquirer sends at most 5 extra copies' })
        .default(0),
      outOfOrder: z.boolean({ error: 'outOfOrder is true or false' }).default(false),
      /** Every merchant query (intent, charge) waits this long before the acquirer answers: a slow acquirer. */
      queryDelay: Duration.default(0),
      /** How long the backend queries a charge neither paid nor failed before it revokes it. */
      chargeQueryFor: Duration.default(60_000),
      /** The acquirer's merchant API is down (503) from stop `from` to stop `to`; the customer's side still works. */
      outage: z.strictObject(Range).optional(),
    })
    .default({ delay: 0, duplicates: 0, outOfOrder: false, queryDelay: 0, chargeQueryFor: 60_000 }),
  /**
   * At the end of the round the supervisor approves, on the depot's own API, the refund of every payment flagged
   * to pay back (paid twice, paid after cash); the acquirer's refunds then succeed, fail, or fail their first
   * attempt, each after `delay`. With `retry` a failed refund is approved again under its number, once.
   */
  refunds: z
    .strictObject({
      outcome: z
        .enum(['succeed', 'fail', 'fail_first'], { error: 'refunds.outcome is succeed, fail or fail_first' })
        .default('succeed'),
      delay: Duration.default(0),
      retry: z.boolean({ error: 'refunds.retry is true or false' }).default(false),
    })
    .optional(),
  /** "Paid, to be verified" limits of the courier's depot. */
  unverifiedLimit: z.strictObject({ perOrder: Amount, perShift: Amount }).optional(),
  /** The depot's proof rules, which the backend turns into each order's proof policy (`proof.ts`). */
  proofRules: ProofRulesEntry.optional(),
  stops: z.array(StopEntry, { error: 'stops is a list of stops' }).optional(),
  generate: Generate.optional(),
  coverage: z.array(CoverageEvent, { error: 'coverage is a list of coverage events' }).default([]),
  backend: z.array(BackendEvent, { error: 'backend is a list of backend events' }).default([]),
  terminal: z.array(TerminalEvent, { error: 'terminal is a list of terminal events' }).default([]),
  expect: Expectations.default({ syncedExactlyOnce: true }),
})
export type RoundFile = z.output<typeof RoundFile>
