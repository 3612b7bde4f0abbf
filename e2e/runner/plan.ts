import type { RefundState } from '../../shared/api/closure'
import type { FailureReason } from '../../shared/api/events'
import type { FlagKind } from '../../shared/api/stream'
import { WALLET_LIMITS } from '../../shared/api/sandbox'
import type { ProofRules } from '../../shared/api/proof'
import { planStopProof, proofTotals, rulesOf, type PlannedProof, type ProofTotals, type StopProof } from './proof'
import { generateStops, roundAddress, roundWaybills, SeededRandom, shortBy, type GeneratedStop } from './generate'
import type {
  BackendEvent,
  CourierAction,
  CoverageEvent,
  CustomerBehaviour,
  RoundFile,
  StopEntry,
  SplitEntry,
  TerminalEvent,
  WalletEntry,
} from './schema'

/**
 * A round file turned into what the runner plays: every stop numbered with its waybill, amount, parcels, the
 * courier's action, the customer's behaviour and the coverage there, and what each stop must leave in the
 * backend. Checks that need the whole round (stop numbers in range, coverage a behaviour needs, one waybill per
 * stop) happen here, each pointing at the field a tester must change.
 */

export type FieldPath = (string | number)[]

export interface PlanIssue {
  path: FieldPath
  message: string
}

export type Coverage = 'online' | 'offline' | 'blackhole' | 'flapping'
export type Verdict = 'verified' | 'not_found' | 'amount_mismatch' | 'pending'

/** What a stop must leave in the backend's records once everything has synced. */
export interface StopOutcome {
  status: 'delivered' | 'failed'
  method: 'digital' | 'cash' | 'prepaid' | 'split' | null
  /** What was taken at the door: the cash, the digital amount, or for a split its cash part. */
  collectedFen: number
  /** For a split: its digital part (the part's payment). */
  digitalFen?: number
  failureReason: FailureReason | null
  /** Payments the acquirer took for the order (money that moved digitally). */
  payments: number
  flags: FlagKind[]
  /** The backend's verdict on a "paid, to be verified". */
  settlement: Verdict | null
  /** The customer tried to pay a QR the courier had cancelled with coverage: the acquirer must refuse it. */
  refusedPayment: boolean
  /**
   * Charges of the customer's payment code the backend holds for the order, each as `paid`, `revoked` or
   * `failed:<reason>`; none when the courier had no coverage to send the code.
   */
  charges: string[]
}

/** How a charge of the customer's code ends; `offline`: it was never sent. */
export type ChargeEnd = 'paid' | 'revoked' | 'offline' | `failed:${string}`

export interface PlannedStop {
  /** 1-based, in route order. */
  n: number
  waybill: string
  codFen: number
  parcels: number
  action: CourierAction
  customer: CustomerBehaviour | null
  /** Cash handed over at a `cash-short` stop. */
  takenFen: number | null
  address: string
  recipientName: string
  note: string | null
  origin: 'listed' | 'generated'
  coverage: Coverage
  /** A stray scan of the next stop's parcel while the QR is up, and what the courier answers. */
  stray: 'keep' | 'switch' | null
  /** With `charge`: the customer's wallet, and how the charge of its code must end. */
  wallet?: (WalletEntry & { end: ChargeEnd }) | null
  /** The proof the courier gives before collecting, against the policy the depot's rules give the order. */
  proof?: PlannedProof | null
  /** With `split` (or a charge refused on the limit): the digital part and how the customer pays it. */
  split?: { digitalFen: number; pays: 'qr' | 'code' } | null
  expected: StopOutcome
}

export interface CoverageSpan {
  from: number
  to: number
  mode: 'offline' | 'blackhole' | 'flapping'
  /** Flapping: how long each online or offline spell lasts. */
  everyMs: number
}

export interface RestartEvent {
  at: number
  signal: 'SIGKILL' | 'SIGTERM'
  downMs: number
}

/** The terminal killed and started again (`restart`), or swapped for a second one (`swap`), before stop `at`. */
export type TerminalStep = { kind: 'restart'; at: number; signal: 'SIGKILL' | 'SIGTERM' } | { kind: 'swap'; at: number }

/** One expectation at the end, with where its value came from. */
export interface Expected<T> {
  value: T
  source: 'file' | 'plan'
}

export interface ExpectedTotals {
  digital: Expected<{ count: number; amountFen: number | null }>
  cash: Expected<{ count: number; amountFen: number | null }>
  prepaid: Expected<{ count: number }>
  failed: Expected<Partial<Record<FailureReason, number>>>
  flags: Expected<Partial<Record<FlagKind, number>>>
  toBeVerified: Expected<Partial<Record<Verdict, number>>>
  charges: Expected<Partial<Record<'paid' | 'failed' | 'revoked', number>>>
  syncedExactlyOnce: boolean
  /** Proofs and evidence files; `files` is both the uploaded and the verified count expected. */
  proof?: Expected<ProofTotals & { uploaded: number; verified: number }>
  /** Refunds the supervisor approved at the end, by final state; null when the file says nothing. */
  refunds?: Partial<Record<RefundState, number>> | null
  /** The money view's figures the file states (fen); the ones left out are null and not checked. */
  money?: Record<'collected' | 'refunded' | 'refundsDue' | 'net' | 'owed', number | null> | null
}

export interface Plan {
  name: string
  seed: string
  courier: { staffId: string; pin: string; name: string }
  patienceMs: number
  acquirer: {
    delayMs: number
    duplicates: number
    outOfOrder: boolean
    queryDelayMs: number
    chargeQueryForMs: number
    outage: { from: number; to: number } | null
  }
  unverifiedLimit: { perOrderFen: number; perShiftFen: number } | null
  /** The depot's proof rules the round sets before the shift; null: the backend's default (no proof). */
  proofRules?: ProofRules | null
  /** The supervisor approves every refund flagged, at the end, and the acquirer's refunds go so. */
  refunds: { outcome: 'succeed' | 'fail' | 'fail_first'; delayMs: number; retry: boolean } | null
  stops: PlannedStop[]
  coverage: CoverageSpan[]
  restarts: RestartEvent[]
  terminal: TerminalStep[]
  expect: ExpectedTotals
}

const offlineAt = (coverage: Coverage): boolean => coverage === 'offline' || coverage === 'blackhole'

/**
 * How the charge of the customer's code ends: never sent without coverage; refused by the wallet (its failure,
 * then its tier's per-payment limit); revoked when the customer never confirms, or confirms later than the backend
 * keeps asking; paid otherwise.
 */
export function chargeEnd(
  wallet: WalletEntry,
  codFen: number,
  coverage: Coverage,
  chargeQueryForMs: number,
): ChargeEnd {
  if (offlineAt(coverage)) return 'offline'
  if (wallet.fails === 'user_cancelled') return 'failed:user_cancelled'
  const limit = WALLET_LIMITS[wallet.tier ?? 'tier2'].perPaymentFen
  if (limit !== null && codFen > limit) return 'failed:limit_per_payment'
  if (wallet.fails === 'insufficient_balance') return 'failed:insufficient_balance'
  const waits = wallet.confirms ?? (wallet.pin ? (wallet.pinAfter ?? 0) : 0)
  if (waits === 'never' || waits >= chargeQueryForMs) return 'revoked'
  return 'paid'
}

/** What the stop leaves in the backend, given the courier's action, the customer and the coverage there. */
export function plannedOutcome(stop: Omit<PlannedStop, 'expected' | 'n' | 'stray'>): StopOutcome {
  const base: StopOutcome = {
    status: 'delivered',
    method: null,
    collectedFen: 0,
    failureReason: null,
    payments: 0,
    flags: [],
    settlement: null,
    refusedPayment: false,
    charges: [],
  }
  const { action, customer } = stop
  switch (action.kind) {
    case 'charge': {
      // Anything but paid: the courier takes cash instead.
      const end = stop.wallet?.end ?? 'paid'
      const charges = end === 'offline' ? [] : [end]
      if (stop.split && end === 'failed:limit_per_payment') {
        // Refused on the wallet's limit, then split: the part within the limit, the rest in cash.
        const paid = stop.split.pays === 'code' ? ['paid'] : []
        return { ...base, ...splitOutcome(stop.codFen, stop.split.digitalFen), charges: [...charges, ...paid] }
      }
      return end === 'paid'
        ? { ...base, method: 'digital', collectedFen: stop.codFen, payments: 1, charges }
        : { ...base, method: 'cash', collectedFen: stop.codFen, charges }
    }
    case 'split': {
      const split = stop.split ?? { digitalFen: 0, pays: 'qr' as const }
      return { ...base, ...splitOutcome(stop.codFen, split.digitalFen), charges: split.pays === 'code' ? ['paid'] : [] }
    }
    case 'prepaid':
      return { ...base, method: 'prepaid' }
    case 'cash':
      return { ...base, method: 'cash', collectedFen: stop.codFen }
    case 'cash-short':
      return { ...base, method: 'cash', collectedFen: stop.takenFen ?? shortBy(stop.codFen) }
    case 'fail':
      return { ...base, status: 'failed', failureReason: action.reason }
    case 'to-be-verified':
      return customer?.kind === 'never-pays'
        ? {
            ...base,
            method: 'digital',
            collectedFen: stop.codFen,
            settlement: 'not_found',
            flags: ['unverified_not_found'],
          }
        : { ...base, method: 'digital', collectedFen: stop.codFen, payments: 1, settlement: 'verified' }
    case 'digital': {
      const cash = { ...base, method: 'cash' as const, collectedFen: stop.codFen }
      switch (customer?.kind ?? 'pays') {
        case 'never-pays':
          return cash
        case 'pays-after-cash':
          // With coverage the courier's switch to cash cancels the QR at the acquirer first, so the late payment
          // is refused; without, it goes through and must be flagged for a refund.
          return offlineAt(stop.coverage)
            ? { ...cash, payments: 1, flags: ['late_payment_after_cash'] }
            : { ...cash, refusedPayment: true }
        case 'pays-twice':
          return { ...cash, payments: 1, flags: ['double_payment'] }
        default:
          return { ...base, method: 'digital', collectedFen: stop.codFen, payments: 1 }
      }
    }
  }
}

/** Two collections on one order: the part's payment and the cash rest. */
function splitOutcome(codFen: number, digitalFen: number) {
  return { method: 'split' as const, collectedFen: codFen - digitalFen, digitalFen, payments: 1 }
}

function coverageAt(spans: CoverageSpan[], n: number): Coverage {
  return spans.find((span) => n >= span.from && n <= span.to)?.mode ?? 'online'
}

/**
 * A round file as far as it parsed: a stop, coverage or backend event that failed the schema is `null` (its
 * own errors are already reported) and the checks that need it are skipped, so one pass still reports every
 * other error. `broken` names the top-level fields that failed.
 */
export type RoundDraft = Omit<RoundFile, 'stops' | 'coverage' | 'backend' | 'terminal'> & {
  stops?: (StopEntry | null)[]
  coverage: (CoverageEvent | null)[]
  backend: (BackendEvent | null)[]
  terminal?: (TerminalEvent | null)[]
  broken?: ReadonlySet<string>
}

/** Turns a valid round file into the plan the runner plays, or says everything that stops it from being one. */
export function planRound(file: RoundDraft): { plan: Plan; issues: [] } | { plan: null; issues: PlanIssue[] } {
  const issues: PlanIssue[] = []
  const broken = file.broken ?? new Set<string>()
  const listed = file.stops ?? []
  if (listed.length === 0 && !file.generate && !broken.has('stops') && !broken.has('generate')) {
    issues.push({ path: [], message: 'a round needs stops: list them under stops, or make them with generate' })
  }
  if (file.generate && file.seed === undefined && !broken.has('seed')) {
    issues.push({ path: ['generate'], message: 'generated stops need a seed (seed: a word or a number)' })
  }
  const seed = String(file.seed ?? file.round)
  const generated: GeneratedStop[] = file.generate
    ? generateStops(file.generate, new SeededRandom(`${seed}/stops`))
    : []
  // Without a readable stops list or generate section the number of stops is unknown: no range checks then.
  const totalKnown = !broken.has('stops') && !broken.has('generate')
  const total = totalKnown ? listed.length + generated.length : Number.POSITIVE_INFINITY
  if (totalKnown && total > 500) {
    issues.push({ path: ['generate', 'stops'], message: `a round has at most 500 stops, not ${total}` })
  }

  // Coverage spans, in range and not overlapping.
  const spans: CoverageSpan[] = []
  file.coverage.forEach((event, k) => {
    if (event === null) return
    const [mode, range] = Object.entries(event)[0] as [
      CoverageSpan['mode'],
      { from: number; to: number; every?: number },
    ]
    const at = ['coverage', k, mode]
    if (range.from > range.to) {
      issues.push({
        path: [...at, 'to'],
        message: `coverage ends (stop ${range.to}) before it starts (stop ${range.from})`,
      })
      return
    }
    if (range.to > total) {
      issues.push({ path: [...at, 'to'], message: `the round has ${total} stops; there is no stop ${range.to}` })
      return
    }
    const clash = spans.find((span) => range.from <= span.to && span.from <= range.to)
    if (clash) {
      issues.push({
        path: [...at, 'from'],
        message: `stops ${range.from}–${range.to} overlap the ${clash.mode} stretch at stops ${clash.from}–${clash.to}`,
      })
      return
    }
    spans.push({ from: range.from, to: range.to, mode, everyMs: range.every ?? 0 })
  })

  const restarts: RestartEvent[] = []
  file.backend.forEach((event, k) => {
    if (event === null) return
    const { at, signal, down } = event.restart
    if (at > total) {
      issues.push({
        path: ['backend', k, 'restart', 'at'],
        message: `the round has ${total} stops; there is no stop ${at}`,
      })
    } else if (restarts.some((r) => r.at === at)) {
      issues.push({ path: ['backend', k, 'restart', 'at'], message: `the backend already restarts at stop ${at}` })
    } else {
      restarts.push({ at, signal, downMs: down })
    }
  })

  const terminal: TerminalStep[] = []
  ;(file.terminal ?? []).forEach((event, k) => {
    if (event === null) return
    const [kind, spec] =
      'restart' in event
        ? (['restart', event.restart] as const)
        : (['swap', { ...event.swap, signal: 'SIGKILL' as const }] as const)
    const at = ['terminal', k, kind, 'at']
    if (spec.at > total) {
      issues.push({ path: at, message: `the round has ${total} stops; there is no stop ${spec.at}` })
    } else if (spec.at < 2) {
      issues.push({
        path: at,
        message: `the terminal needs a stop of its own before it can be ${kind === 'swap' ? 'swapped' : 'restarted'}: use at 2 or later`,
      })
    } else if (terminal.some((t) => t.at === spec.at)) {
      issues.push({ path: at, message: `something already happens to the terminal at stop ${spec.at}` })
    } else if (kind === 'swap' && terminal.some((t) => t.kind === 'swap')) {
      issues.push({ path: at, message: 'a round swaps the terminal once' })
    } else {
      terminal.push(kind === 'swap' ? { kind, at: spec.at } : { kind, at: spec.at, signal: spec.signal })
    }
  })

  const waybillOf = roundWaybills(new SeededRandom(`${seed}/waybills`))
  const places = new SeededRandom(`${seed}/addresses`)
  const seen = new Map<string, number>()
  const stops: PlannedStop[] = []
  const entries: {
    entry:
      | (GeneratedStop & {
          waybill?: string
          note: string | null
          stray?: 'keep' | 'switch'
          wallet?: WalletEntry
          proof?: StopProof
          split?: SplitEntry
        })
      | null
    path: FieldPath
  }[] = [
    ...listed.map((stop, i) => ({
      entry: stop && {
        codFen: stop.cod,
        parcels: stop.parcels,
        action: stop.action,
        customer: stop.customer ?? null,
        takenFen: stop.taken ?? null,
        waybill: stop.waybill,
        note: stop.note ?? null,
        stray: stop.stray,
        wallet: stop.wallet,
        proof: stop.proof,
        split: stop.split,
      },
      path: ['stops', i] as FieldPath,
    })),
    ...generated.map((stop) => ({ entry: { ...stop, note: null }, path: ['generate'] as FieldPath })),
  ]
  let incomplete = broken.size > 0
  entries.forEach(({ entry, path }, i) => {
    const n = i + 1
    if (entry === null) {
      incomplete = true
      return
    }
    const coverage = coverageAt(spans, n)
    const here = (field: string): FieldPath => (path.length > 1 ? [...path, field] : path)
    const issue = (field: string, message: string): void => {
      issues.push({ path: here(field), message: `stop ${n}: ${message}` })
    }
    const { action } = entry
    const collects = action.kind !== 'prepaid' && action.kind !== 'fail'
    if (action.kind === 'prepaid' && entry.codFen !== 0) {
      issue('cod', 'a prepaid order has nothing to collect: its cod is "0.00"')
    }
    if (action.kind === 'fail' && entry.codFen === 0) {
      issue('action', 'a prepaid order completes on the scan itself, so there is no failure to record: give it a cod')
    }
    if (collects && entry.codFen === 0) {
      issue('action', `there is nothing to collect (cod "0.00"), so the courier cannot take ${action.kind}`)
    }
    if (entry.takenFen !== null && action.kind !== 'cash-short') {
      issue('taken', 'taken goes with cash-short: it is the cash a customer short of change hands over')
    }
    if (action.kind === 'cash-short') {
      if (entry.codFen <= 1) issue('cod', 'a cash-short stop needs an amount due to be short of')
      else if (entry.takenFen !== null && entry.takenFen >= entry.codFen) {
        issue('taken', `taken must be less than the ${(entry.codFen / 100).toFixed(2)} due for cash-short`)
      }
    }
    const customer = entry.customer
    if (customer && action.kind !== 'digital' && action.kind !== 'to-be-verified') {
      issue('customer', 'the customer only has a part when the courier shows the QR (digital or to-be-verified)')
    }
    const offline = offlineAt(coverage)
    if (action.kind === 'to-be-verified') {
      if (!offline) {
        issue(
          'action',
          `to-be-verified is for when nothing can confirm a payment at the door, but stop ${n} has coverage`,
        )
      }
      if (customer && customer.kind !== 'pays' && customer.kind !== 'never-pays') {
        issue('customer', 'with to-be-verified the customer either pays (perhaps after a while) or never pays')
      }
    }
    if (action.kind === 'digital') {
      const kind = customer?.kind ?? 'pays'
      if (kind === 'pays' && offline) {
        issue(
          'customer',
          'there is no coverage here, so the terminal cannot hear of the payment: make the customer "shows receipt", or the action to-be-verified',
        )
      }
      if (kind === 'pays-twice' && !offline) {
        issue(
          'customer',
          `"pays twice" needs a stop without coverage (offline or blackhole); with coverage the terminal sees the payment and the courier never takes cash (stop ${n} is ${coverage})`,
        )
      }
      if (kind === 'pays-after-cash' && coverage === 'flapping') {
        issue('customer', '"pays after cash" needs steady coverage or none, not flapping: the outcome would be chance')
      }
    }
    if (entry.wallet && action.kind !== 'charge') {
      issue('wallet', 'the wallet goes with action charge: it is the customer whose payment code the courier scans')
    }
    const outage = file.acquirer.outage
    if (action.kind === 'charge' && outage && n >= outage.from && n <= outage.to) {
      issue(
        'action',
        `the acquirer is down at stop ${n}, so a charge of the customer's code could only wait for it to come back: use the QR here`,
      )
    }
    if (action.kind === 'charge' && coverage === 'flapping') {
      issue(
        'action',
        'a charge of the customer’s code needs steady coverage or none, not flapping: the outcome would be chance',
      )
    }
    let split: PlannedStop['split'] = null
    if (action.kind === 'split' || entry.split) {
      const limit = WALLET_LIMITS[entry.wallet?.tier ?? 'tier2'].perPaymentFen
      const refusedOnLimit = action.kind === 'charge' && limit !== null && entry.codFen > limit
      const digitalFen = entry.split?.digital ?? (refusedOnLimit ? limit : null)
      if (action.kind !== 'split' && !refusedOnLimit) {
        issue('split', 'a split goes with action split, or a charge the wallet refuses on its per-payment limit')
      } else if (digitalFen === null) {
        issue('split', 'a split needs its digital part: split: { digital: "50.00" }')
      } else if (digitalFen < 1 || digitalFen >= entry.codFen) {
        issue(
          'split',
          `the digital part must be at least 0.01 and less than the ${(entry.codFen / 100).toFixed(2)} due`,
        )
      } else if (offline || coverage === 'flapping') {
        issue('split', 'a split needs coverage for the part’s payment; this stop has none')
      } else {
        split = { digitalFen, pays: entry.split?.pays ?? 'qr' }
      }
    }
    if (entry.stray) {
      const kind = customer?.kind ?? 'pays'
      if (action.kind !== 'digital' || (kind !== 'pays' && kind !== 'shows-receipt')) {
        issue('stray', 'a stray scan happens while the QR is up for a customer who pays: it needs action digital')
      }
      if (n === total) issue('stray', 'the stray parcel is the next stop’s, and this is the last stop')
    }
    const proof = planStopProof(
      { n, codFen: entry.codFen, action: action.kind, proof: entry.proof },
      rulesOf(file.proofRules),
      issue,
    )
    const waybill = entry.waybill ?? waybillOf(n)
    const first = seen.get(waybill)
    if (first !== undefined) issue('waybill', `waybill ${waybill} is already stop ${first}'s`)
    seen.set(waybill, n)
    const place = roundAddress(places, n)
    const takenFen = action.kind === 'cash-short' ? (entry.takenFen ?? shortBy(entry.codFen)) : null
    const stop = {
      waybill,
      codFen: entry.codFen,
      parcels: entry.parcels,
      action,
      customer:
        customer ??
        (action.kind === 'digital' || action.kind === 'to-be-verified' ? { kind: 'pays' as const, afterMs: 0 } : null),
      takenFen,
      address: place.address,
      recipientName: place.recipientName,
      note: entry.note,
      origin: path.length > 1 ? ('listed' as const) : ('generated' as const),
      coverage,
      stray: entry.stray ?? null,
      wallet:
        action.kind === 'charge'
          ? {
              ...(entry.wallet ?? {}),
              end: chargeEnd(entry.wallet ?? {}, entry.codFen, coverage, file.acquirer.chargeQueryFor),
            }
          : null,
      split,
    }
    stops.push({ ...stop, n, ...(proof ? { proof } : {}), expected: plannedOutcome(stop) })
  })

  if (
    issues.length > 0 ||
    incomplete ||
    file.coverage.includes(null) ||
    file.backend.includes(null) ||
    (file.terminal ?? []).includes(null)
  ) {
    return { plan: null, issues }
  }
  return {
    plan: {
      name: file.round,
      seed,
      courier: file.courier,
      patienceMs: file.patience,
      acquirer: {
        delayMs: file.acquirer.delay,
        duplicates: file.acquirer.duplicates,
        outOfOrder: file.acquirer.outOfOrder,
        queryDelayMs: file.acquirer.queryDelay,
        chargeQueryForMs: file.acquirer.chargeQueryFor,
        outage: file.acquirer.outage ?? null,
      },
      unverifiedLimit: file.unverifiedLimit
        ? { perOrderFen: file.unverifiedLimit.perOrder, perShiftFen: file.unverifiedLimit.perShift }
        : null,
      ...(file.proofRules ? { proofRules: rulesOf(file.proofRules) } : {}),
      refunds: file.refunds
        ? { outcome: file.refunds.outcome, delayMs: file.refunds.delay, retry: file.refunds.retry }
        : null,
      stops,
      coverage: spans,
      restarts: restarts.sort((a, b) => a.at - b.at),
      terminal: terminal.sort((a, b) => a.at - b.at),
      expect: {
        ...expectedTotals(file, stops),
        refunds: file.expect.refunds ?? null,
        money: file.expect.money
          ? {
              collected: file.expect.money.collected ?? null,
              refunded: file.expect.money.refunded ?? null,
              refundsDue: file.expect.money.refundsDue ?? null,
              net: file.expect.money.net ?? null,
              owed: file.expect.money.owed ?? null,
            }
          : null,
      },
    },
    issues: [],
  }
}

/** The totals the file states, and for whatever it leaves out, what its stops add up to. */
export function expectedTotals(file: RoundDraft, stops: PlannedStop[]): ExpectedTotals {
  const planned = totalsOf(stops.map((stop) => stop.expected))
  const stated = file.expect
  const pick = <T>(value: T | undefined, fallback: T): Expected<T> =>
    value === undefined ? { value: fallback, source: 'plan' } : { value, source: 'file' }
  return {
    digital: pick(
      stated.digital && { count: stated.digital.count, amountFen: stated.digital.amount ?? null },
      planned.digital,
    ),
    cash: pick(stated.cash && { count: stated.cash.count, amountFen: stated.cash.amount ?? null }, planned.cash),
    prepaid: pick(stated.prepaid, planned.prepaid),
    failed: pick(stated.failed, planned.failed),
    flags: pick(stated.flags, planned.flags),
    toBeVerified: pick(stated.toBeVerified, planned.toBeVerified),
    charges: pick(stated.charges, planned.charges),
    syncedExactlyOnce: stated.syncedExactlyOnce,
    ...proofExpected(file, stops),
  }
}

/** Proof totals the file states, field by field, and what the stops add up to for the rest; none without proof. */
function proofExpected(file: RoundDraft, stops: PlannedStop[]): Pick<ExpectedTotals, 'proof'> {
  const planned = proofTotals(stops.map((stop) => stop.proof))
  const stated = file.expect.proof
  if (!stated && !file.proofRules && planned.files === 0) return {}
  const given = { ...planned.given, ...(stated?.given ?? {}) }
  return {
    proof: {
      value: {
        given,
        codesVerified: stated?.codesVerified ?? planned.codesVerified,
        codesLocked: stated?.codesLocked ?? planned.codesLocked,
        overrides: stated?.overrides ?? planned.overrides,
        files: planned.files,
        uploaded: stated?.evidence?.uploaded ?? planned.files,
        verified: stated?.evidence?.verified ?? planned.files,
      },
      source: stated ? 'file' : 'plan',
    },
  }
}

export interface Totals {
  digital: { count: number; amountFen: number }
  cash: { count: number; amountFen: number }
  prepaid: { count: number }
  failed: Partial<Record<FailureReason, number>>
  flags: Partial<Record<FlagKind, number>>
  toBeVerified: Partial<Record<Verdict, number>>
  charges: Partial<Record<'paid' | 'failed' | 'revoked', number>>
}

const bump = <K extends string>(map: Partial<Record<K, number>>, key: K): void => {
  map[key] = (map[key] ?? 0) + 1
}

/** Sums outcomes by method, failure reason, flag and verdict. */
export function totalsOf(outcomes: StopOutcome[]): Totals {
  const totals: Totals = {
    digital: { count: 0, amountFen: 0 },
    cash: { count: 0, amountFen: 0 },
    prepaid: { count: 0 },
    failed: {},
    flags: {},
    toBeVerified: {},
    charges: {},
  }
  for (const outcome of outcomes) {
    for (const charge of outcome.charges)
      bump(totals.charges, charge.startsWith('failed') ? 'failed' : (charge as 'paid' | 'revoked'))
    if (outcome.status === 'failed' && outcome.failureReason) bump(totals.failed, outcome.failureReason)
    if (outcome.method === 'digital' || outcome.method === 'cash') {
      totals[outcome.method].count++
      totals[outcome.method].amountFen += outcome.collectedFen
    }
    if (outcome.method === 'split') {
      // Two collections: the digital part and the cash rest, each counted with its method.
      totals.digital.count++
      totals.digital.amountFen += outcome.digitalFen ?? 0
      totals.cash.count++
      totals.cash.amountFen += outcome.collectedFen
    }
    if (outcome.method === 'prepaid') totals.prepaid.count++
    for (const flag of outcome.flags) bump(totals.flags, flag)
    if (outcome.settlement) bump(totals.toBeVerified, outcome.settlement)
  }
  return totals
}
