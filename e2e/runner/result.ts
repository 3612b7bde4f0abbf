import { percentile } from '../../shared/testing/percentile'
import type { Coverage, StopOutcome } from './plan'
import type { ProofSummary } from './proof'

/**
 * What a played round produced: `report.json` is exactly this, and `report.html` is drawn from it. Times are
 * milliseconds since the round started (`atMs`), taken when the runner, playing the courier or the customer,
 * did the thing.
 */

export interface StopStep {
  atMs: number
  /** Who did it: the courier, the customer, the terminal (what it showed), or the world (coverage, backend). */
  who: 'courier' | 'customer' | 'terminal' | 'world'
  what: string
}

/** What the backend recorded for a stop's order, once the round had synced. */
export interface RecordedOutcome {
  status: string
  method: string | null
  collectedFen: number
  failureReason: string | null
  payments: number
  flags: string[]
  settlement: string | null
  confirmedVia: string | null
  /** Charges of the customer's payment code: `paid`, `revoked`, `failed:<reason>`. */
  charges?: string[]
  /** For a split: the digital part the acquirer took (its cash part is `collectedFen`). */
  digitalFen?: number
}

export interface StopResult {
  n: number
  waybill: string
  codFen: number
  parcels: number
  /** The courier's action as the file wrote it: `digital`, `fail:not_home`, … */
  action: string
  customer: string | null
  coverage: Coverage
  note: string | null
  startedMs: number
  endedMs: number
  /** The courier's deliberate actions at this door: scans, taps, typed amounts. */
  actions: string[]
  /** Things the courier had to attend to that were not this delivery (a refund flag about another order). */
  interruptions: string[]
  steps: StopStep[]
  scanToCardMs: number[]
  tapToQrMs: number | null
  /** From the acquirer's confirmation (its `paidAt`) to "paid" painted on the terminal. */
  confirmToPaidMs: number | null
  /** `payment-status` states seen while the QR was up: waiting, slow, paid, … */
  paymentStates: string[]
  customerPaid: { paidAt: string; transactionId: string; receipt: boolean } | null
  /** Why the acquirer refused the customer's payment, when it did. */
  customerRefused: string | null
  expected: StopOutcome
  recorded: RecordedOutcome | null
  /** Why this stop failed; empty when it went as planned. */
  problems: string[]
  /** A screenshot of the terminal when the stop failed, a file beside the report. */
  screenshot: string | null
  /** A stray scan while the QR was up: whether the terminal asked, what the courier answered, and whether the
   * QR came back the same (never cancelled). */
  stray: { answer: 'keep' | 'switch'; asked: boolean; sameQr: boolean } | null
}

/** Something done to the terminal itself during the round. */
export interface TerminalRecord {
  kind: 'restart' | 'swap' | 'return'
  at: number
  /** What happened, said plainly: "back on the scan screen with the shift", "the first terminal shows the shift moved". */
  outcome: string
  ok: boolean
}

export interface Percentiles {
  count: number
  p50: number | null
  p95: number | null
  max: number | null
}

export function summarize(samples: readonly number[]): Percentiles {
  if (samples.length === 0) return { count: 0, p50: null, p95: null, max: null }
  return {
    count: samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    max: Math.max(...samples),
  }
}

export interface SyncLag {
  /** The coverage stretch that ended: its mode and stops. */
  mode: string
  from: number
  to: number
  /** When coverage came back. */
  atMs: number
  /** Events the terminal wrote during the stretch (and not yet acknowledged when coverage came back). */
  events: number
  /** From coverage back to the backend holding every one of them; null if it never did. */
  lagMs: number | null
}

export interface RestartRecord {
  at: number
  signal: string
  downAtMs: number
  /** When the backend answered again. */
  upAtMs: number | null
}

export interface ExpectationResult {
  name: string
  expected: string
  actual: string
  held: boolean
  /** Why it did not hold, in a tester's words. */
  reason: string | null
  /** Stated in the round file, or what its stops add up to. */
  source: 'file' | 'plan' | 'always'
}

export interface TotalsRecord {
  delivered: number
  failed: number
  digitalFen: number
  cashFen: number
}

/** The depot dashboard's figures for the round's courier and day. */
export interface DepotTotals {
  delivered: number
  failed: number
  digitalCount: number
  digitalFen: number
  cashCount: number
  cashFen: number
  prepaid: number
  failedByReason: Record<string, number>
}

/**
 * The courier's money for the round's day as the depot's money view tells it (`/depot/dashboard/money`): digital
 * only as the acquirer confirmed it, "to be verified" never found as owed, refunds due and paid, net.
 */
export interface MoneyTotals {
  collectedFen: number
  digitalConfirmedFen: number
  cashFen: number
  awaitingFen: number
  owedFen: number
  refundsDueFen: number
  refundedFen: number
  netFen: number
}

/** A refund the supervisor approved at the end of the round, as the depot's refund list ended it. */
export interface RefundRecord {
  refundNo: string
  waybill: string
  amountFen: number
  status: 'requested' | 'processing' | 'succeeded' | 'failed'
  attempts: number
  /** A failed refund the supervisor approved again. */
  retried: boolean
}

export interface RoundResult {
  round: string
  file: string
  seed: string
  startedAt: string
  wallMs: number
  speed: number
  host: 'chromium' | 'electron'
  hostNote: string
  stops: StopResult[]
  figures: { scanToCard: Percentiles; tapToQr: Percentiles; confirmToPaid: Percentiles }
  /** Deliberate actions per one-parcel digital delivery paid at once (DESIGN's two), and per delivery. */
  actionsPerDelivery: { digital: Percentiles; all: Percentiles }
  syncLags: SyncLag[]
  restarts: RestartRecord[]
  /** Restarts and swaps of the terminal, and the first terminal's return after a swap. */
  terminalEvents: TerminalRecord[]
  acquirer: { delayMs: number; duplicates: number; outOfOrder: boolean; notifications: number; deliveries: number }
  terminalTotals: TotalsRecord | null
  backendTotals: TotalsRecord | null
  /** What the depot dashboard showed for the courier's day; null if it could not be read (see `errors`). */
  dashboardTotals: DepotTotals | null
  /** The courier's money of the day from the depot's money view; null if it could not be read (see `errors`). */
  moneyTotals: MoneyTotals | null
  /** Refunds the supervisor approved at the end (with `refunds` in the round file); empty otherwise. */
  refunds?: RefundRecord[]
  expectations: ExpectationResult[]
  /** Anything that stopped the round itself (a process that would not start); the round fails. */
  errors: string[]
  /** A screenshot of the shift summary at the end, beside the report. */
  shiftScreenshot: string | null
  /** The refund flags listed on the terminal's shift summary at the end. */
  flagsOnTerminal: { kind: string; text: string }[]
  /** Refund flags that popped up over the courier's work during the round. */
  flagsPoppedUp: { kind: string; text: string }[]
  /** Proofs and evidence files as the backend holds them (`proof-checks.ts`); absent in a round without proof. */
  proof?: ProofSummary
  passed: boolean
  summary: string
}
