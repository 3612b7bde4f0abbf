import { describe, expect, it } from 'vitest'
import { generateStops, roundWaybills, SeededRandom } from './generate'
import { parseRound } from './load'
import { Generate } from './schema'

const spec = (fields: Partial<Generate> & { stops: number }): Generate => Generate.parse(fields)

describe('the seeded random source', () => {
  it('gives the same numbers for the same seed, on any machine', () => {
    const a = new SeededRandom('xiangcheng')
    const b = new SeededRandom('xiangcheng')
    const drawn = Array.from({ length: 5 }, () => a.next())
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(drawn)
    // Pinned: a change to the generator changes every generated round, and must be deliberate.
    expect(drawn.map((x) => x.toFixed(6))).toMatchSnapshot()
    expect(new SeededRandom('another').next()).not.toBe(drawn[0])
  })

  it('stays in [0, 1) and covers it', () => {
    const random = new SeededRandom(42)
    const draws = Array.from({ length: 10_000 }, () => random.next())
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...draws)).toBeLessThan(1)
    const low = draws.filter((x) => x < 0.5).length
    expect(low).toBeGreaterThan(4_800)
    expect(low).toBeLessThan(5_200)
  })
})

describe('generated stops', () => {
  it('are the same for the same seed and differ for another', () => {
    const stops = generateStops(spec({ stops: 150 }), new SeededRandom('stress'))
    expect(generateStops(spec({ stops: 150 }), new SeededRandom('stress'))).toEqual(stops)
    expect(generateStops(spec({ stops: 150 }), new SeededRandom('stress!'))).not.toEqual(stops)
  })

  it('follow the shares asked for', () => {
    // More stops than a round may have, so the shares settle; the generator itself has no limit.
    const stops = generateStops(
      { stops: 5000, cod: 0.6, digital: 0.8, multiParcel: 0.05, failed: 0.1, cashShort: 0.25 },
      new SeededRandom('shares'),
    )
    const share = (n: number, of: number): number => n / of
    const cod = stops.filter((s) => s.codFen > 0)
    expect(share(cod.length, stops.length)).toBeCloseTo(0.6, 1)
    const failed = stops.filter((s) => s.action.kind === 'fail')
    expect(share(failed.length, cod.length)).toBeCloseTo(0.1, 1)
    const collected = cod.filter((s) => s.action.kind !== 'fail')
    const digital = collected.filter((s) => s.action.kind === 'digital')
    expect(share(digital.length, collected.length)).toBeCloseTo(0.8, 1)
    const cash = collected.filter((s) => s.action.kind === 'cash' || s.action.kind === 'cash-short')
    expect(share(cash.filter((s) => s.action.kind === 'cash-short').length, cash.length)).toBeCloseTo(0.25, 1)
    expect(share(stops.filter((s) => s.parcels === 2).length, stops.length)).toBeCloseTo(0.05, 1)
  })

  it('are each something a courier can do', () => {
    const stops = generateStops(
      spec({ stops: 500, failed: 0.2, cashShort: 0.5, multiParcel: 0.3 }),
      new SeededRandom('sane'),
    )
    for (const stop of stops) {
      expect([1, 2]).toContain(stop.parcels)
      expect(Number.isSafeInteger(stop.codFen)).toBe(true)
      if (stop.codFen === 0) expect(stop.action.kind).toBe('prepaid')
      if (stop.action.kind === 'prepaid') expect(stop.codFen).toBe(0)
      if (stop.action.kind === 'cash-short') expect(stop.takenFen).toBeLessThan(stop.codFen)
      if (stop.action.kind === 'digital') expect(stop.customer).toEqual({ kind: 'pays', afterMs: 0 })
    }
  })

  it('number waybills so no two stops share one', () => {
    const waybill = roundWaybills(new SeededRandom('w'))
    const all = Array.from({ length: 500 }, (_, i) => waybill(i + 1))
    expect(new Set(all).size).toBe(500)
    for (const w of all) expect(w).toMatch(/^JDRD\d{11}$/)
  })

  it('make the same round from the same file, listed stops first', () => {
    const text = `round: Mixed\nseed: 9\nstops:\n  - { cod: "1.00", action: cash }\ngenerate: { stops: 20 }\n`
    const first = parseRound(text)
    const second = parseRound(text)
    if (!first.ok || !second.ok) throw new Error('the round should be valid')
    expect(first.plan.stops).toHaveLength(21)
    expect(first.plan.stops[0]!.origin).toBe('listed')
    expect(first.plan.stops[1]!.origin).toBe('generated')
    expect(second.plan).toEqual(first.plan)
  })
})
