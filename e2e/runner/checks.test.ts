import { describe, expect, it } from 'vitest'
import { differences, exactlyOnce, recordedOutcome, refundExpectations } from './checks'
import { formatErrors, parseRound } from './load'
import { chargeEnd, plannedOutcome, type PlannedStop } from './plan'
import type { BackendOrder, DeviceEventRow, OutboxRow } from './records'
import type { RoundResult } from './result'

const stop = (fields: Partial<PlannedStop>): Omit<PlannedStop, 'expected' | 'n' | 'stray'> => ({
  waybill: 'JDRD00000000001',
  codFen: 6660,
  parcels: 1,
  action: { kind: 'digital' },
  customer: { kind: 'pays', afterMs: 0 },
  takenFen: null,
  address: '',
  recipientName: '',
  note: null,
  origin: 'listed',
  coverage: 'online',
  ...fields,
})

describe('what a stop must leave in the backend', () => {
  it('follows the courier, the customer and the coverage', () => {
    expect(plannedOutcome(stop({}))).toMatchObject({ method: 'digital', collectedFen: 6660, payments: 1, flags: [] })
    expect(plannedOutcome(stop({ customer: { kind: 'never-pays' } }))).toMatchObject({ method: 'cash', payments: 0 })
    expect(plannedOutcome(stop({ customer: { kind: 'pays-after-cash' } }))).toMatchObject({
      method: 'cash',
      payments: 0,
      refusedPayment: true,
      flags: [],
    })
    expect(plannedOutcome(stop({ customer: { kind: 'pays-after-cash' }, coverage: 'offline' }))).toMatchObject({
      method: 'cash',
      payments: 1,
      flags: ['late_payment_after_cash'],
    })
    expect(plannedOutcome(stop({ customer: { kind: 'pays-twice' }, coverage: 'blackhole' }))).toMatchObject({
      method: 'cash',
      collectedFen: 6660,
      payments: 1,
      flags: ['double_payment'],
    })
    expect(plannedOutcome(stop({ action: { kind: 'cash-short' }, takenFen: 6000, customer: null }))).toMatchObject({
      method: 'cash',
      collectedFen: 6000,
    })
    expect(plannedOutcome(stop({ action: { kind: 'fail', reason: 'refused' }, customer: null }))).toMatchObject({
      status: 'failed',
      failureReason: 'refused',
      collectedFen: 0,
    })
    expect(plannedOutcome(stop({ action: { kind: 'to-be-verified' }, coverage: 'offline' }))).toMatchObject({
      method: 'digital',
      settlement: 'verified',
      payments: 1,
    })
    expect(
      plannedOutcome(
        stop({ action: { kind: 'to-be-verified' }, customer: { kind: 'never-pays' }, coverage: 'offline' }),
      ),
    ).toMatchObject({ settlement: 'not_found', flags: ['unverified_not_found'], payments: 0 })
  })
})

const order = (fields: Partial<BackendOrder>): BackendOrder => ({
  orderId: 'ord_1',
  waybill: 'JDRD00000000001',
  status: 'delivered',
  deliveredMethod: 'digital',
  failureReason: null,
  attempts: [{ outcome: 'delivered', method: 'digital', collectedFen: 6660, failureReason: null }],
  payments: [{ transactionId: 'tx_1', amountFen: 6660, outcome: 'succeeded' }],
  flags: [],
  settlements: [],
  confirmedVia: 'push',
  charges: [],
  ...fields,
})

describe("a stop checked against the backend's records", () => {
  it('holds when the backend recorded what was planned', () => {
    expect(differences(plannedOutcome(stop({})), recordedOutcome(order({})), 1)).toEqual([])
  })

  it('says each difference plainly', () => {
    const recorded = recordedOutcome(
      order({
        deliveredMethod: 'cash',
        attempts: [{ outcome: 'delivered', method: 'cash', collectedFen: 6000, failureReason: null }],
        payments: [
          { transactionId: 'tx_1', amountFen: 6660, outcome: 'succeeded' },
          { transactionId: 'tx_2', amountFen: 6660, outcome: 'succeeded' },
          { transactionId: 'tx_3', amountFen: 6660, outcome: 'refused_duplicate' },
        ],
        flags: [{ kind: 'double_payment', amountFen: 6660 }],
      }),
    )
    expect(differences(plannedOutcome(stop({})), recorded, 2)).toEqual([
      'the backend recorded the method cash, the round planned digital',
      'the backend recorded the amount collected ¥60.00, the round planned ¥66.60',
      'the backend recorded digital payments taken: 2, the round planned 1',
      'the backend recorded refund flags: double_payment, the round planned none',
      'the backend recorded 2 delivery attempts for the order, not one',
    ])
  })
})

const outbox = (n: number): OutboxRow[] =>
  Array.from({ length: n }, (_, i) => ({
    seq: i + 1,
    eventId: `e${i + 1}`,
    type: 'parcel.scanned',
    state: 'acked',
    reason: null,
  }))
const applied = (rows: OutboxRow[]): DeviceEventRow[] =>
  rows.map((row) => ({ seq: row.seq, eventId: row.eventId, type: row.type, status: 'applied', reason: null }))

describe('everything synced exactly once', () => {
  const orders = new Map([['JDRD00000000001', order({})]])

  it('holds when every event the terminal wrote is in the backend once', () => {
    const rows = outbox(5)
    const held = exactlyOnce({
      outbox: rows,
      backendEvents: applied(rows),
      backendDevice: { deviceId: 'd', ackedSeq: 5 },
      orders,
    })
    expect(held).toMatchObject({ held: true, reason: null })
  })

  it('fails on an event lost, pending, applied under another ID, or held twice', () => {
    const rows = outbox(6)
    rows[5] = { ...rows[5]!, state: 'pending' }
    const backend = applied(rows.slice(0, 4))
    backend[1] = { ...backend[1]!, eventId: 'other' }
    backend.push({ seq: 9, eventId: 'e1', type: 'parcel.scanned', status: 'applied', reason: null })
    const result = exactlyOnce({
      outbox: rows,
      backendEvents: backend,
      backendDevice: { deviceId: 'd', ackedSeq: 4 },
      orders,
    })
    expect(result.held).toBe(false)
    expect(result.reason).toContain('1 events still pending on the terminal (first: #6 parcel.scanned)')
    expect(result.reason).toContain('2 events the terminal wrote never reached the backend')
    expect(result.reason).toContain('the backend holds 1 events the terminal does not have')
    expect(result.reason).toContain('1 sequences hold a different event in the backend')
    expect(result.reason).toContain('1 events are in the backend twice')
    expect(result.reason).toContain('the backend acknowledged up to #4, the terminal wrote up to #6')
  })

  it('fails on a rejected event, with its reason', () => {
    const rows = outbox(2)
    rows[1] = { ...rows[1]!, state: 'rejected', reason: 'order.reassigned' }
    const backend = applied(rows)
    backend[1] = { ...backend[1]!, status: 'rejected', reason: 'order.reassigned' }
    const result = exactlyOnce({
      outbox: rows,
      backendEvents: backend,
      backendDevice: { deviceId: 'd', ackedSeq: 2 },
      orders,
    })
    expect(result).toMatchObject({ held: false, reason: '#2 parcel.scanned was rejected: order.reassigned' })
  })
})

describe("the customer's payment code in a round", () => {
  it('plans how each charge ends: paid, refused over the tier limit, refused by the wallet, revoked, never sent', () => {
    const end = (wallet: Parameters<typeof chargeEnd>[0], codFen = 6660, coverage: 'online' | 'offline' = 'online') =>
      chargeEnd(wallet, codFen, coverage, 15_000)
    expect(end({})).toBe('paid')
    expect(end({ pin: '135790' })).toBe('paid')
    expect(end({ pin: '135790', pinAfter: 20_000 })).toBe('revoked')
    expect(end({ confirms: 5_000 })).toBe('paid')
    expect(end({ confirms: 'never' })).toBe('revoked')
    expect(end({ tier: 'tier4' }, 250_000)).toBe('failed:limit_per_payment')
    expect(end({ tier: 'tier4' }, 200_000)).toBe('paid')
    expect(end({ tier: 'tier3' }, 500_001)).toBe('failed:limit_per_payment')
    expect(end({ fails: 'insufficient_balance' })).toBe('failed:insufficient_balance')
    expect(end({}, 6660, 'offline')).toBe('offline')
  })

  it('expects digital money only for a paid charge, cash otherwise, and the backend charge as it ends', () => {
    const charged = (wallet: NonNullable<PlannedStop['wallet']>) =>
      plannedOutcome(stop({ action: { kind: 'charge' }, customer: null, wallet }))
    expect(charged({ end: 'paid' })).toMatchObject({ method: 'digital', payments: 1, charges: ['paid'] })
    expect(charged({ end: 'revoked', confirms: 'never' })).toMatchObject({
      method: 'cash',
      payments: 0,
      charges: ['revoked'],
    })
    expect(charged({ end: 'failed:limit_per_payment', tier: 'tier4' })).toMatchObject({
      method: 'cash',
      charges: ['failed:limit_per_payment'],
    })
    expect(charged({ end: 'offline' })).toMatchObject({ method: 'cash', charges: [] })
  })

  it("says when the backend's charges differ from the plan", () => {
    const planned = plannedOutcome(stop({ action: { kind: 'charge' }, customer: null, wallet: { end: 'paid' } }))
    expect(differences(planned, recordedOutcome(order({ charges: ['paid'] })), 1)).toEqual([])
    expect(differences(planned, recordedOutcome(order({ charges: ['revoked', 'paid'] })), 1)).toEqual([
      "the backend recorded charges of the customer's code: revoked, paid, the round planned paid",
    ])
  })
})

describe('refunds and money a round file states', () => {
  const planned = parseRound(`
round: Refunds
refunds: { outcome: fail_first, delay: 1s, retry: true }
stops:
  - { cod: "66.60", action: digital }
expect:
  refunds: { succeeded: 2 }
  money: { refunded: "216.00", net: "2887.50", owed: "0.00" }
`)
  if (!planned.ok) throw new Error(formatErrors('refunds.yaml', planned.errors))
  const { plan } = planned
  const money = {
    collectedFen: 310_350,
    digitalConfirmedFen: 32_760,
    cashFen: 277_590,
    awaitingFen: 0,
    owedFen: 0,
    refundsDueFen: 0,
    refundedFen: 21_600,
    netFen: 288_750,
  }
  const refund = (status: 'succeeded' | 'failed') => ({
    refundNo: `rfd_${status}`,
    waybill: 'JDRD00000000002',
    amountFen: 12_800,
    status,
    attempts: 2,
    retried: true,
  })

  it('plans the supervisor’s refunds and holds the round to the states and figures it names', () => {
    expect(plan.refunds).toEqual({ outcome: 'fail_first', delayMs: 1000, retry: true })
    const held = refundExpectations(plan, {
      refunds: [refund('succeeded'), refund('succeeded')],
      moneyTotals: money,
    } as RoundResult)
    expect(held.map((e) => [e.name, e.held])).toEqual([
      ['refunds approved, by how they ended', true],
      ['money view: refunded', true],
      ['money view: net', true],
      ['money view: owed', true],
    ])
  })

  it('fails a refund that ended failed, and a figure that differs, saying what the depot had', () => {
    const failed = refundExpectations(plan, {
      refunds: [refund('succeeded'), refund('failed')],
      moneyTotals: { ...money, refundedFen: 12_800, netFen: 297_550 },
    } as RoundResult)
    expect(failed.filter((e) => !e.held).map((e) => [e.name, e.actual])).toEqual([
      ['refunds approved, by how they ended', expect.stringContaining('failed')],
      ['money view: refunded', '¥128.00'],
      ['money view: net', '¥2,975.50'],
    ])
    expect(refundExpectations(plan, { refunds: [], moneyTotals: null } as unknown as RoundResult)).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'money view: owed', held: false, actual: 'not read' })]),
    )
  })

  it('refuses a refund outcome the acquirer does not have', () => {
    const loaded = parseRound(`
round: Bad
refunds: { outcome: vanish }
stops:
  - { cod: "1.00", action: cash }
`)
    expect(loaded.ok).toBe(false)
  })
})
