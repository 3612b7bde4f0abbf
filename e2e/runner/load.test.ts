import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatErrors, loadRoundFile, parseRound, type RoundFileError } from './load'
import { totalsOf, type Plan } from './plan'

/** A shipped round's stated totals are what its own stops add up to: a slip in the arithmetic shows here. */
function expectStatedTotalsPlanned(plan: Plan): void {
  const planned = totalsOf(plan.stops.map((stop) => stop.expected))
  const { digital, cash, prepaid, failed, flags, toBeVerified } = plan.expect
  expect({ count: digital.value.count, amountFen: digital.value.amountFen ?? planned.digital.amountFen }).toEqual(
    planned.digital,
  )
  expect({ count: cash.value.count, amountFen: cash.value.amountFen ?? planned.cash.amountFen }).toEqual(planned.cash)
  expect(prepaid.value).toEqual(planned.prepaid)
  expect(failed.value).toEqual(planned.failed)
  expect(flags.value).toEqual(planned.flags)
  expect(toBeVerified.value).toEqual(planned.toBeVerified)
}

const errorsOf = (text: string): RoundFileError[] => {
  const loaded = parseRound(text)
  if (loaded.ok) throw new Error('expected the round to be refused')
  return loaded.errors
}

/** Each error as `line field`, to compare with where a tester would look. */
const where = (errors: RoundFileError[]): string[] => errors.map((e) => `${e.line} ${e.field}`)

describe('a valid round file', () => {
  it('becomes a plan: stops numbered from 1, money in fen, defaults filled in', () => {
    const loaded = parseRound(`
round: Small
seed: 7
stops:
  - { waybill: JDVA00012345678, cod: "66.60", action: digital }
  - { cod: "0.00", parcels: 2, action: prepaid }
  - { cod: "128.00", action: cash-short, taken: "120.00" }
  - { cod: "45.00", action: "fail:not_home" }
  - { cod: "19.90", action: digital, customer: pays after 1.5s }
`)
    if (!loaded.ok) throw new Error(formatErrors('small.yaml', loaded.errors))
    const { plan } = loaded
    expect(plan.courier).toEqual({ staffId: 'SZ2001', pin: '1234', name: '李强' })
    expect(plan.patienceMs).toBe(12_000)
    expect(plan.stops.map((s) => [s.n, s.codFen, s.parcels, s.action.kind])).toEqual([
      [1, 6660, 1, 'digital'],
      [2, 0, 2, 'prepaid'],
      [3, 12800, 1, 'cash-short'],
      [4, 4500, 1, 'fail'],
      [5, 1990, 1, 'digital'],
    ])
    expect(plan.stops[0]!.waybill).toBe('JDVA00012345678')
    expect(plan.stops[1]!.waybill).toMatch(/^JDRD\d{11}$/)
    expect(plan.stops[2]!.takenFen).toBe(12000)
    expect(plan.stops[4]!.customer).toEqual({ kind: 'pays', afterMs: 1500 })
    expect(plan.expect.digital).toEqual({ value: { count: 2, amountFen: 8650 }, source: 'plan' })
    expect(plan.expect.cash).toEqual({ value: { count: 1, amountFen: 12000 }, source: 'plan' })
    expect(plan.expect.failed).toEqual({ value: { not_home: 1 }, source: 'plan' })
  })

  it('keeps the totals the file states, as the file states them', () => {
    const loaded = parseRound(`
round: Stated
stops:
  - { cod: "66.60", action: digital }
expect:
  digital: { count: 3, amount: "1.00" }
  flags: { double_payment: 1 }
`)
    if (!loaded.ok) throw new Error(formatErrors('stated.yaml', loaded.errors))
    expect(loaded.plan.expect.digital).toEqual({ value: { count: 3, amountFen: 100 }, source: 'file' })
    expect(loaded.plan.expect.flags).toEqual({ value: { double_payment: 1 }, source: 'file' })
  })

  it("the repository README's example is a valid round", () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')
    const example = /### Writing a round[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(example).toBeDefined()
    const loaded = parseRound(example!)
    if (!loaded.ok) throw new Error(formatErrors('README.md', loaded.errors))
    expect(loaded.plan.stops).toHaveLength(11)
    expect(loaded.plan.expect.digital.source).toBe('file')
    expectStatedTotalsPlanned(loaded.plan)
  })

  it.each(readdirSync(join(import.meta.dirname, '..', 'rounds')).filter((f) => f.endsWith('.yaml')))(
    'the shipped round %s is valid',
    (name) => {
      const loaded = loadRoundFile(join(import.meta.dirname, '..', 'rounds', name))
      if (!loaded.ok) throw new Error(formatErrors(name, loaded.errors))
      expect(loaded.plan.stops.length).toBeGreaterThan(0)
      expectStatedTotalsPlanned(loaded.plan)
    },
  )
})

describe('an invalid round file', () => {
  it('gets every error at once, each with its line and field', () => {
    const errors = errorsOf(`round: Broken
courier: { staffId: SZ2001, pin: 1234 }
patience: soon
stops:
  - cod: 66.6
    action: dgital
    colour: red
  - { cod: "10.00", action: cash, customer: pays }
  - { cod: "0.00", action: "fail:lost" }
  - { cod: "5.00", action: cash-short, taken: "9.00" }
  - { waybill: JDVA1, cod: "1.00", action: prepaid }
coverage:
  - offline: { from: 2, to: 40 }
  - flapping: { from: 1, to: "x" }
  - ofline: { from: 1, to: 2 }
backend:
  - restart: { at: 0 }
expect:
  digital: { count: 1, amount: 3.5 }
  failed: { lost: 1 }
`)
    expect(where(errors)).toEqual([
      '2 courier.pin',
      '3 patience',
      '5 stops[0].cod',
      '6 stops[0].action',
      '7 stops[0].colour',
      '8 stops[1].customer',
      '9 stops[2].action',
      '10 stops[3].taken',
      '11 stops[4].waybill',
      '11 stops[4].cod',
      '13 coverage[0].offline.to',
      '14 coverage[1].flapping.to',
      '15 coverage[2]',
      '17 backend[0].restart.at',
      '19 expect.digital.amount',
      '20 expect.failed.lost',
    ])
    const text = formatErrors('broken.yaml', errors)
    expect(text).toContain('broken.yaml:2:')
    expect(text).toContain('the PIN is a quoted string of 4 to 6 digits')
    expect(text).toContain('a duration is written like "8s"')
    expect(text).toContain('YAML read 66.6 as a number')
    expect(text).toContain('"dgital" is not a courier action')
    expect(text).toContain('"colour" is not a field here; use waybill, cod')
    expect(text).toContain('the customer only has a part when the courier shows the QR')
    expect(text).toContain('"lost" is not a failure reason')
    expect(text).toContain('taken must be less than the 5.00 due')
    expect(text).toContain('a prepaid order has nothing to collect')
    expect(text).toContain('the round has 5 stops; there is no stop 40')
    expect(text).toContain('a coverage event is {offline: {from, to}}')
    expect(text).toContain('stops are counted from 1')
  })

  it('points at a required field that is missing by the stop that lacks it', () => {
    const errors = errorsOf(`round: Missing
stops:
  - { cod: "1.00", action: cash }
  - { action: cash }
  - { cod: "2.00" }
`)
    expect(errors.map((e) => [e.line, e.field, e.message.slice(0, 9)])).toEqual([
      [4, 'stops[1].cod', 'missing: '],
      [5, 'stops[2].action', 'missing: '],
    ])
  })

  it('says where YAML itself is broken, and checks nothing else', () => {
    const errors = errorsOf(`round: x
stops:
  - { cod: "1.00", action: cash
round: y
`)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((e) => e.message.startsWith('YAML: '))).toBe(true)
    expect(errors[0]!.line).toBeGreaterThanOrEqual(3)
  })

  it('refuses a key written twice', () => {
    const errors = errorsOf(`round: x\nstops:\n  - { cod: "1.00", action: cash }\nround: y\n`)
    expect(errors).toEqual([expect.objectContaining({ line: 4, message: expect.stringContaining('unique') })])
  })

  it('refuses money that is not quoted yuan with two decimals', () => {
    for (const cod of ['66.6', '"66.6"', '"66,60"', '"-1.00"', '6660', '"¥66.60"']) {
      const errors = errorsOf(`round: x\nstops:\n  - { cod: ${cod}, action: cash }\n`)
      expect(errors[0], cod).toMatchObject({ line: 3, field: 'stops[0].cod' })
    }
  })

  it('checks the round as a whole: coverage a behaviour needs, overlaps, waybills, seeds', () => {
    const errors = errorsOf(`round: Whole
stops:
  - { waybill: JDVA00000000001, cod: "1.00", action: digital, customer: pays twice }
  - { waybill: JDVA00000000001, cod: "2.00", action: digital }
  - { cod: "3.00", action: to-be-verified }
  - { cod: "4.00", action: digital, customer: pays after cash }
generate: { stops: 2 }
coverage:
  - offline: { from: 2, to: 2 }
  - blackhole: { from: 2, to: 3 }
  - flapping: { from: 4, to: 4 }
`)
    expect(where(errors)).toEqual([
      '3 stops[0].customer',
      '4 stops[1].customer',
      '4 stops[1].waybill',
      '5 stops[2].action',
      '6 stops[3].customer',
      '7 generate',
      '10 coverage[1].blackhole.from',
    ])
    const text = formatErrors('whole.yaml', errors)
    expect(text).toContain('"pays twice" needs a stop without coverage')
    expect(text).toContain('the terminal cannot hear of the payment: make the customer "shows receipt"')
    expect(text).toContain('waybill JDVA00000000001 is already stop 1')
    expect(text).toContain('to-be-verified is for when nothing can confirm a payment at the door')
    expect(text).toContain('not flapping')
    expect(text).toContain('generated stops need a seed')
    expect(text).toContain('overlap the offline stretch at stops 2–2')
  })

  it('checks stray scans and what happens to the terminal: where they can happen, and once', () => {
    const errors = errorsOf(`round: Terminal
stops:
  - { cod: "1.00", action: cash, stray: keep }
  - { cod: "2.00", action: digital, stray: sideways }
  - { cod: "3.00", action: digital, stray: switch }
terminal:
  - restart: { at: 1 }
  - swap: { at: 2 }
  - swap: { at: 3 }
  - restart: { at: 9, signal: SIGKILL }
  - explode: { at: 2 }
`)
    expect(where(errors)).toEqual([
      '3 stops[0].stray',
      '4 stops[1].stray',
      '5 stops[2].stray',
      '7 terminal[0].restart.at',
      '9 terminal[2].swap.at',
      '10 terminal[3].restart.at',
      '11 terminal[4]',
    ])
    const text = formatErrors('terminal.yaml', errors)
    expect(text).toContain('a stray scan happens while the QR is up for a customer who pays')
    expect(text).toContain('stray is keep or switch')
    expect(text).toContain('the stray parcel is the next stop’s, and this is the last stop')
    expect(text).toContain('use at 2 or later')
    expect(text).toContain('a round swaps the terminal once')
    expect(text).toContain('there is no stop 9')
  })

  it('still checks the whole round around a stop that failed the schema', () => {
    const errors = errorsOf(`round: Both
stops:
  - { cod: "1.00", action: dgital }
  - { cod: "2.00", action: cash }
coverage:
  - offline: { from: 1, to: 9 }
`)
    expect(where(errors)).toEqual(['3 stops[0].action', '6 coverage[0].offline.to'])
  })

  it('needs stops', () => {
    expect(where(errorsOf('round: Empty\n'))).toEqual(['1 '])
  })

  it('says so when the file is missing', () => {
    const loaded = loadRoundFile('/nonexistent/round.yaml')
    expect(loaded).toEqual({
      ok: false,
      errors: [{ line: 0, column: 0, field: '', message: 'cannot read /nonexistent/round.yaml: no such file' }],
    })
  })
})

describe('split payments in a round', () => {
  it('plans two collections on one order, and a split after a refusal on the wallet limit', () => {
    const loaded = parseRound(`
round: Splits
seed: 3
stops:
  - { cod: "199.00", action: split, split: { digital: "120.00" } }
  - { cod: "2500.00", action: charge, wallet: { tier: tier4 }, split: { pays: code } }
`)
    if (!loaded.ok) throw new Error(formatErrors('splits.yaml', loaded.errors))
    const [qr, limit] = loaded.plan.stops
    expect(qr!.split).toEqual({ digitalFen: 12_000, pays: 'qr' })
    expect(qr!.expected).toMatchObject({ method: 'split', collectedFen: 7_900, digitalFen: 12_000, payments: 1 })
    expect(limit!.split).toEqual({ digitalFen: 200_000, pays: 'code' })
    expect(limit!.expected).toMatchObject({
      method: 'split',
      collectedFen: 50_000,
      digitalFen: 200_000,
      charges: ['failed:limit_per_payment', 'paid'],
    })
    expect(totalsOf(loaded.plan.stops.map((s) => s.expected))).toMatchObject({
      digital: { count: 2, amountFen: 212_000 },
      cash: { count: 2, amountFen: 57_900 },
      charges: { failed: 1, paid: 1 },
    })
  })

  it('refuses a split of nothing, of the whole, without coverage, or on a charge the wallet would take', () => {
    const errors = errorsOf(`
round: Bad splits
seed: 4
stops:
  - { cod: "50.00", action: split }
  - { cod: "50.00", action: split, split: { digital: "50.00" } }
  - { cod: "50.00", action: split, split: { digital: "10.00" } }
  - { cod: "50.00", action: charge, split: { digital: "10.00" } }
coverage:
  - offline: { from: 3, to: 3 }
`)
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringContaining('needs its digital part'),
      expect.stringContaining('less than the 50.00 due'),
      expect.stringContaining('needs coverage'),
      expect.stringContaining('refuses on its per-payment limit'),
    ])
  })
})
