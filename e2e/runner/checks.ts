import { formatFen } from '../../shared/money'
import type { Expected, Plan, StopOutcome } from './plan'
import type { BackendOrder, DeviceEventRow, OutboxRow } from './records'
import type { ExpectationResult, RecordedOutcome, RoundResult, TotalsRecord } from './result'

/** What the round found in the backend and the terminal once everything had synced. */
/** One terminal's outbox and what the backend holds of it. */
export interface TerminalRecords {
  backendDevice: { deviceId: string; ackedSeq: number } | null
  backendEvents: DeviceEventRow[]
  outbox: OutboxRow[]
}

export interface RoundRecords {
  orders: Map<string, BackendOrder>
  /** Every terminal of the round, in order: one, or two after a device swap. */
  devices: TerminalRecords[]
  cashDeclarations: number[]
  cashToHandInFen: number
  /** The refund flags on the terminal's shift summary. */
  terminalFlags: { kind: string; text: string }[]
}

/** What the backend holds for an order, in the same terms as the plan. */
export function recordedOutcome(order: BackendOrder): RecordedOutcome {
  const last = order.attempts[order.attempts.length - 1]
  const claim = order.settlements.filter((s) => s.kind === 'unverified').pop()
  return {
    status: order.status,
    method: order.deliveredMethod,
    collectedFen: last && last.outcome === 'delivered' ? last.collectedFen : 0,
    failureReason: order.failureReason,
    payments: order.payments.filter((p) => p.outcome === 'succeeded').length,
    flags: order.flags.map((f) => f.kind).sort(),
    settlement: claim?.status ?? null,
    confirmedVia: order.confirmedVia,
    charges: order.charges,
    ...(order.deliveredMethod === 'split'
      ? { digitalFen: order.payments.find((p) => p.outcome === 'succeeded')?.amountFen ?? 0 }
      : {}),
  }
}

/** Every way the backend's record of a stop differs from the plan, in a tester's words. */
export function differences(expected: StopOutcome, recorded: RecordedOutcome, attempts: number): string[] {
  const found: string[] = []
  const say = (what: string, planned: string | number | null, got: string | number | null): void => {
    found.push(`the backend recorded ${what} ${String(got ?? 'none')}, the round planned ${String(planned ?? 'none')}`)
  }
  if (recorded.status !== expected.status) say('the order as', expected.status, recorded.status)
  if (expected.status === 'delivered' && recorded.method !== expected.method)
    say('the method', expected.method, recorded.method)
  if (expected.status === 'failed' && recorded.failureReason !== expected.failureReason) {
    say('the failure reason', expected.failureReason, recorded.failureReason)
  }
  if (recorded.collectedFen !== expected.collectedFen) {
    say('the amount collected', formatFen(expected.collectedFen), formatFen(recorded.collectedFen))
  }
  if (recorded.payments !== expected.payments) say('digital payments taken:', expected.payments, recorded.payments)
  if (expected.method === 'split' && recorded.digitalFen !== expected.digitalFen) {
    say("the split's digital part", formatFen(expected.digitalFen ?? 0), formatFen(recorded.digitalFen ?? 0))
  }
  const flags = [...expected.flags].sort().join(', ') || 'none'
  const got = recorded.flags.join(', ') || 'none'
  if (flags !== got) say('refund flags:', flags, got)
  if (recorded.settlement !== expected.settlement)
    say('the "to be verified" verdict', expected.settlement, recorded.settlement)
  const charges = (recorded.charges ?? []).join(', ') || 'none'
  const plannedCharges = (expected.charges ?? []).join(', ') || 'none'
  if (charges !== plannedCharges) say("charges of the customer's code:", plannedCharges, charges)
  if (attempts > 1) found.push(`the backend recorded ${attempts} delivery attempts for the order, not one`)
  return found
}

function totalsFrom(outcomes: RecordedOutcome[]) {
  const totals = {
    digital: { count: 0, amountFen: 0 },
    cash: { count: 0, amountFen: 0 },
    prepaid: { count: 0 },
    failed: {} as Record<string, number>,
    flags: {} as Record<string, number>,
    toBeVerified: {} as Record<string, number>,
    charges: {} as Record<string, number>,
  }
  const bump = (map: Record<string, number>, key: string): void => {
    map[key] = (map[key] ?? 0) + 1
  }
  for (const outcome of outcomes) {
    if (outcome.status === 'failed') bump(totals.failed, outcome.failureReason ?? 'unknown')
    if (outcome.status === 'delivered' && (outcome.method === 'digital' || outcome.method === 'cash')) {
      totals[outcome.method].count++
      totals[outcome.method].amountFen += outcome.collectedFen
    }
    if (outcome.status === 'delivered' && outcome.method === 'split') {
      totals.digital.count++
      totals.digital.amountFen += outcome.digitalFen ?? 0
      totals.cash.count++
      totals.cash.amountFen += outcome.collectedFen
    }
    if (outcome.status === 'delivered' && outcome.method === 'prepaid') totals.prepaid.count++
    for (const flag of outcome.flags) bump(totals.flags, flag)
    if (outcome.settlement) bump(totals.toBeVerified, outcome.settlement)
    for (const charge of outcome.charges ?? []) bump(totals.charges, charge.replace(/:.*$/, ''))
  }
  return totals
}

const describeCounts = (counts: Partial<Record<string, number>>): string =>
  Object.entries(counts)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key} ${n}`)
    .join(', ') || 'none'

const sameCounts = (a: Partial<Record<string, number>>, b: Partial<Record<string, number>>): boolean =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].every((key) => (a[key] ?? 0) === (b[key] ?? 0))

/**
 * Checks a played round: each stop against what the backend recorded for its order, the totals against the
 * file's expectations (or, where it states none, its stops), every event the terminal wrote against what the
 * backend applied, and the terminal's own shift summary against the backend. Fills in `result`.
 */
export function checkRound(plan: Plan, result: RoundResult, records: RoundRecords): void {
  const expectations: ExpectationResult[] = []
  const outcomes: RecordedOutcome[] = []
  for (const stop of result.stops) {
    const order = records.orders.get(stop.waybill)
    if (!order) {
      stop.problems.push(`the backend has no order ${stop.waybill}`)
      continue
    }
    const recorded = recordedOutcome(order)
    stop.recorded = recorded
    outcomes.push(recorded)
    stop.problems.push(...differences(stop.expected, recorded, order.attempts.length))
  }
  const asPlanned = result.stops.filter((s) => s.problems.length === 0).length
  expectations.push({
    name: 'stops that went as planned',
    expected: String(result.stops.length),
    actual: String(asPlanned),
    held: asPlanned === result.stops.length,
    reason:
      asPlanned === result.stops.length
        ? null
        : `stops ${result.stops
            .filter((s) => s.problems.length > 0)
            .map((s) => s.n)
            .join(', ')} did not: see each stop's reasons`,
    source: 'always',
  })

  const actual = totalsFrom(outcomes)
  const method = (name: 'digital' | 'cash', expected: Expected<{ count: number; amountFen: number | null }>): void => {
    const got = actual[name]
    const amountHeld = expected.value.amountFen === null || expected.value.amountFen === got.amountFen
    const held = expected.value.count === got.count && amountHeld
    expectations.push({
      name: `${name} deliveries`,
      expected: `${expected.value.count}${expected.value.amountFen === null ? '' : `, ${formatFen(expected.value.amountFen)}`}`,
      actual: `${got.count}, ${formatFen(got.amountFen)}`,
      held,
      reason: held ? null : `the backend recorded ${got.count} ${name} deliveries for ${formatFen(got.amountFen)}`,
      source: expected.source,
    })
  }
  method('digital', plan.expect.digital)
  method('cash', plan.expect.cash)
  const prepaidHeld = plan.expect.prepaid.value.count === actual.prepaid.count
  expectations.push({
    name: 'prepaid deliveries',
    expected: String(plan.expect.prepaid.value.count),
    actual: String(actual.prepaid.count),
    held: prepaidHeld,
    reason: prepaidHeld ? null : `the backend recorded ${actual.prepaid.count} prepaid deliveries`,
    source: plan.expect.prepaid.source,
  })
  const counts = (
    name: string,
    expected: Expected<Partial<Record<string, number>>>,
    got: Record<string, number>,
  ): void => {
    const held = sameCounts(expected.value, got)
    expectations.push({
      name,
      expected: describeCounts(expected.value),
      actual: describeCounts(got),
      held,
      reason: held ? null : `the backend has ${describeCounts(got)}`,
      source: expected.source,
    })
  }
  counts('failed deliveries by reason', plan.expect.failed, actual.failed)
  counts('refund flags by kind', plan.expect.flags, actual.flags)
  counts('"to be verified" verdicts', plan.expect.toBeVerified, actual.toBeVerified)
  counts("charges of customers' codes by outcome", plan.expect.charges, actual.charges)

  expectations.push(...refundExpectations(plan, result))

  if (plan.expect.syncedExactlyOnce) expectations.push(exactlyOnceAll(records))
  expectations.push(...terminalExpectations(result))

  const backendTotals: TotalsRecord = {
    delivered: outcomes.filter((o) => o.status === 'delivered').length,
    failed: outcomes.filter((o) => o.status === 'failed').length,
    digitalFen: actual.digital.amountFen,
    cashFen: actual.cash.amountFen,
  }
  result.backendTotals = backendTotals
  const terminal = result.terminalTotals
  const totalsHeld =
    terminal !== null &&
    terminal.delivered === backendTotals.delivered &&
    terminal.failed === backendTotals.failed &&
    terminal.digitalFen === backendTotals.digitalFen &&
    terminal.cashFen === backendTotals.cashFen
  const describeTotals = (t: TotalsRecord): string =>
    `delivered ${t.delivered}, failed ${t.failed}, digital ${formatFen(t.digitalFen)}, cash ${formatFen(t.cashFen)}`
  expectations.push({
    name: "the terminal's shift totals equal the backend's",
    expected: describeTotals(backendTotals),
    actual: terminal ? describeTotals(terminal) : 'not read',
    held: totalsHeld,
    reason: totalsHeld
      ? null
      : terminal
        ? 'the shift summary on the terminal differs from the backend'
        : 'the shift summary could not be read',
    source: 'always',
  })

  const dashboard = result.dashboardTotals
  if (dashboard) {
    const planned = {
      delivered: backendTotals.delivered,
      failed: backendTotals.failed,
      digitalCount: actual.digital.count,
      digitalFen: actual.digital.amountFen,
      cashCount: actual.cash.count,
      cashFen: actual.cash.amountFen,
      prepaid: actual.prepaid.count,
      failedByReason: actual.failed,
    }
    const describeDepot = (t: typeof planned): string =>
      `delivered ${t.delivered} (digital ${t.digitalCount} ${formatFen(t.digitalFen)}, cash ${t.cashCount} ${formatFen(t.cashFen)}, prepaid ${t.prepaid}), failed ${t.failed} (${describeCounts(t.failedByReason)})`
    const held = describeDepot(planned) === describeDepot(dashboard)
    expectations.push({
      name: "the depot dashboard's figures equal the backend's records",
      expected: describeDepot(planned),
      actual: describeDepot(dashboard),
      held,
      reason: held ? null : 'the dashboard shows other figures for the courier’s day',
      source: 'always',
    })
  }

  // The courier's shift summary tells the same story as the depot: the same refund flags, order by order.
  const kindsByOrder = (flags: { waybill: string; kind: string }[]): Map<string, string> => {
    const kinds = new Map<string, Set<string>>()
    for (const flag of flags) kinds.set(flag.waybill, (kinds.get(flag.waybill) ?? new Set()).add(flag.kind))
    return new Map([...kinds].map(([waybill, set]) => [waybill, [...set].sort().join('+')]))
  }
  const onTerminal = kindsByOrder(
    records.terminalFlags.map((flag) => ({
      kind: flag.kind,
      waybill: result.stops.find((s) => flag.text.includes(s.waybill))?.waybill ?? flag.text,
    })),
  )
  const inBackend = kindsByOrder(
    [...records.orders.values()].flatMap((order) => order.flags.map((f) => ({ kind: f.kind, waybill: order.waybill }))),
  )
  const describeFlags = (flags: Map<string, string>): string =>
    [...flags].map(([waybill, kinds]) => `${waybill} ${kinds}`).join(', ') || 'none'
  const differing = [...new Set([...onTerminal.keys(), ...inBackend.keys()])].filter(
    (waybill) => onTerminal.get(waybill) !== inBackend.get(waybill),
  )
  expectations.push({
    name: 'the terminal shows the refund flags the backend raised',
    expected: describeFlags(inBackend),
    actual: describeFlags(onTerminal),
    held: differing.length === 0,
    reason:
      differing.length === 0
        ? null
        : differing
            .map(
              (w) =>
                `${w}: the terminal says ${onTerminal.get(w) ?? 'nothing'}, the backend ${inBackend.get(w) ?? 'nothing'}`,
            )
            .join('; '),
    source: 'always',
  })

  const declared = records.cashDeclarations
  const declaredHeld = declared.length === 1 && declared[0] === records.cashToHandInFen
  expectations.push({
    name: 'cash declared at the end of the shift, once',
    expected: formatFen(records.cashToHandInFen),
    actual: declared.length === 0 ? 'none' : declared.map(formatFen).join(', '),
    held: declaredHeld,
    reason: declaredHeld ? null : `the backend holds ${declared.length} declarations`,
    source: 'always',
  })
  result.expectations = expectations
}

/** `exactlyOnce` for every terminal of the round: after a swap, the first terminal's events count as much. */
export function exactlyOnceAll(records: Pick<RoundRecords, 'devices' | 'orders'>): ExpectationResult {
  const each = records.devices.map((device) => exactlyOnce({ ...device, orders: records.orders }))
  if (each.length === 1) return each[0]!
  const problems = each.flatMap((result, i) => (result.reason ? [`terminal ${i + 1}: ${result.reason}`] : []))
  return {
    name: 'everything synced exactly once, from every terminal',
    expected: 'every event once, none pending or rejected',
    actual: each.map((result, i) => `terminal ${i + 1}: ${result.actual}`).join('; '),
    held: each.every((result) => result.held),
    reason: problems.length === 0 ? null : problems.join('; '),
    source: 'file',
  }
}

/**
 * What the round did to the doorstep and the terminal, checked whenever the file asks for it: a stray scan asked
 * keep-or-switch and cancelled no QR; a restarted terminal came back with its shift; after a swap the first
 * terminal learned the shift had moved.
 */
function terminalExpectations(result: RoundResult): ExpectationResult[] {
  const out: ExpectationResult[] = []
  const strays = result.stops.filter((stop) => stop.stray !== null)
  if (strays.length > 0) {
    const bad = strays.filter((stop) => !stop.stray!.asked || !stop.stray!.sameQr || stop.problems.length > 0)
    out.push({
      name: 'stray scans asked keep or switch, and cancelled no QR',
      expected: `${strays.length} asked, each QR paid as it was`,
      actual: `${strays.length - bad.length} of ${strays.length}`,
      held: bad.length === 0,
      reason: bad.length === 0 ? null : `stops ${bad.map((s) => s.n).join(', ')}: see each stop's reasons`,
      source: 'file',
    })
  }
  for (const kind of ['restart', 'swap', 'return'] as const) {
    const events = result.terminalEvents.filter((event) => event.kind === kind)
    if (events.length === 0) continue
    const name = {
      restart: 'the terminal came back after each restart',
      swap: 'the courier logged in on a second terminal mid-round',
      return: 'the first terminal learned the shift had moved',
    }[kind]
    const failed = events.filter((event) => !event.ok)
    out.push({
      name,
      expected: `${events.length} × ok`,
      actual: events
        .map((event) => `${event.kind === 'return' ? 'after the round' : `before stop ${event.at}`}: ${event.outcome}`)
        .join('; '),
      held: failed.length === 0,
      reason: failed.length === 0 ? null : failed.map((event) => event.outcome).join('; '),
      source: 'file',
    })
  }
  return out
}

/** Every event in the terminal's outbox is in the backend under the same sequence and ID, applied once. */
export function exactlyOnce(records: TerminalRecords & Pick<RoundRecords, 'orders'>): ExpectationResult {
  const problems: string[] = []
  const { outbox, backendEvents } = records
  const pending = outbox.filter((row) => row.state === 'pending')
  if (pending.length > 0)
    problems.push(
      `${pending.length} events still pending on the terminal (first: #${pending[0]!.seq} ${pending[0]!.type})`,
    )
  const rejected = outbox.filter((row) => row.state === 'rejected')
  for (const row of rejected.slice(0, 3))
    problems.push(`#${row.seq} ${row.type} was rejected: ${row.reason ?? 'no reason'}`)
  const bySeq = new Map(backendEvents.map((row) => [row.seq, row]))
  let missing = 0
  let mismatched = 0
  let notApplied = 0
  for (const row of outbox) {
    const held = bySeq.get(row.seq)
    if (!held) missing++
    else if (held.eventId !== row.eventId) mismatched++
    else if (held.status !== 'applied' && row.state !== 'rejected') notApplied++
  }
  if (missing > 0) problems.push(`${missing} events the terminal wrote never reached the backend`)
  if (mismatched > 0) problems.push(`${mismatched} sequences hold a different event in the backend`)
  if (notApplied > 0) problems.push(`${notApplied} events were not applied (duplicate of another event)`)
  const written = new Set(outbox.map((row) => row.seq))
  const extra = backendEvents.filter((row) => !written.has(row.seq)).length
  if (extra > 0) problems.push(`the backend holds ${extra} events the terminal does not have`)
  const ids = new Set<string>()
  const twice = backendEvents.filter((row) => (ids.has(row.eventId) ? true : (ids.add(row.eventId), false)))
  if (twice.length > 0) problems.push(`${twice.length} events are in the backend twice`)
  const lastSeq = outbox.length > 0 ? outbox[outbox.length - 1]!.seq : 0
  if (records.backendDevice && records.backendDevice.ackedSeq !== lastSeq) {
    problems.push(
      `the backend acknowledged up to #${records.backendDevice.ackedSeq}, the terminal wrote up to #${lastSeq}`,
    )
  }
  const doubled = [...records.orders.values()].filter((order) => order.attempts.length > 1)
  if (doubled.length > 0) problems.push(`${doubled.length} orders have more than one delivery attempt`)
  return {
    name: 'everything synced exactly once',
    expected: 'every event once, none pending or rejected',
    actual: `${outbox.length} events written, ${backendEvents.filter((r) => r.status === 'applied').length} applied`,
    held: problems.length === 0,
    reason: problems.length === 0 ? null : problems.join('; '),
    source: 'file',
  }
}

/**
 * The refunds the supervisor approved, by how they ended, and the money view's figures the file states
 * (collected, refunded, refunds due, net, owed): each only where the round file asks for it.
 */
export function refundExpectations(plan: Plan, result: RoundResult): ExpectationResult[] {
  const out: ExpectationResult[] = []
  const wanted = plan.expect.refunds
  if (wanted) {
    const got: Record<string, number> = {}
    for (const refund of result.refunds ?? []) got[refund.status] = (got[refund.status] ?? 0) + 1
    const held = sameCounts(wanted, got)
    out.push({
      name: 'refunds approved, by how they ended',
      expected: describeCounts(wanted),
      actual: describeCounts(got),
      held,
      reason: held ? null : `the depot's refunds ended ${describeCounts(got)}`,
      source: 'file',
    })
  }
  const money = plan.expect.money
  if (money) {
    const figures = result.moneyTotals
    const actual: Record<keyof typeof money, number> | null = figures
      ? {
          collected: figures.collectedFen,
          refunded: figures.refundedFen,
          refundsDue: figures.refundsDueFen,
          net: figures.netFen,
          owed: figures.owedFen,
        }
      : null
    for (const key of Object.keys(money) as (keyof typeof money)[]) {
      const expected = money[key]
      if (expected === null) continue
      const held = actual !== null && actual[key] === expected
      out.push({
        name: `money view: ${key}`,
        expected: formatFen(expected),
        actual: actual ? formatFen(actual[key]) : 'not read',
        held,
        reason: held ? null : actual ? `the depot's money view says ${formatFen(actual[key])}` : 'not read',
        source: 'file',
      })
    }
  }
  return out
}
