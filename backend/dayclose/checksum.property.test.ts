import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { canonicalDayCloseFigures, DayCloseFigures } from '../../shared/api/day-close'
import { propertyParameters, propertyTimeout } from '../../shared/testing/property'
import { dayChecksum } from './figures'

const BUDGET_MS = 3_000
const total = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
const signed = fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })
const count = fc.integer({ min: 0, max: 100_000 })
const text = fc.string({ unit: 'grapheme', maxLength: 30 })

const discrepancy = fc.record({
  kind: fc.constantFrom('handin' as const, 'shortfall' as const, 'owed_unverified' as const),
  amountFen: signed,
  waybill: fc.option(fc.stringMatching(/^JD[0-9]{10,14}$/), { nil: null }),
  note: fc.option(text, { nil: null }),
})

const figures: fc.Arbitrary<DayCloseFigures> = fc.record({
  date: fc.constantFrom('2026-03-02', '2026-12-01', '2099-01-31'),
  courierId: fc.constantFrom('cou_AAAAAAAAAAAA', 'cou_BBBBBBBBBBBB'),
  staffId: fc.stringMatching(/^SZ[0-9]{4}$/),
  delivered: count,
  failed: count,
  digitalCount: count,
  digitalFen: total,
  digitalAwaitingCount: count,
  digitalAwaitingFen: total,
  cashCount: count,
  cashFen: total,
  prepaidCount: count,
  refundCount: count,
  refundedFen: total,
  refundPendingFen: total,
  shortfallCount: count,
  shortfallFen: total,
  owedCount: count,
  owedFen: total,
  declaredFen: fc.option(total, { nil: null }),
  receivedFen: fc.option(total, { nil: null }),
  handinDifferenceFen: fc.option(signed, { nil: null }),
  discrepancies: fc.array(discrepancy, { maxLength: 4 }),
  closedBy: fc.option(fc.constantFrom('sup_AAAAAAAAAAAA', 'sup_BBBBBBBBBBBB'), { nil: null }),
  closedMs: fc.option(fc.integer({ min: 0, max: 4_102_444_800_000 }), { nil: null }),
})

/** Every figure by its path, with a way to set it: the leaves the checksum must depend on. */
type Leaf = { path: string; value: unknown; set: (v: unknown) => DayCloseFigures }
function leaves(value: DayCloseFigures): Leaf[] {
  const out: Leaf[] = []
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) walk(child, [...path, Array.isArray(node) ? Number(key) : key])
      return
    }
    out.push({
      path: path.join('.'),
      value: node,
      set: (v) => {
        const copy = structuredClone(value) as unknown as Record<string | number, unknown>
        let cursor = copy
        for (const step of path.slice(0, -1)) cursor = cursor[step] as Record<string | number, unknown>
        cursor[path.at(-1)!] = v
        return copy as unknown as DayCloseFigures
      },
    })
  }
  walk(value, [])
  return out
}

/** Another value of the same kind as `value`, picked by `pick`. */
function otherValue(value: unknown, pick: number): unknown {
  if (typeof value === 'number') return value === 0 ? 1 + (pick % 7) : value - 1
  if (typeof value === 'string') return value.length > 0 && pick % 2 === 0 ? value.slice(0, -1) : `${value}x`
  return pick % 2 === 0 ? 0 : 'x' // null becomes a figure
}

describe('day report checksum', () => {
  test.prop([figures, fc.nat(), fc.nat()], propertyParameters(400, BUDGET_MS))(
    'changes whenever any one figure changes',
    (base, which, pick) => {
      const all = leaves(base)
      const leaf = all[which % all.length]!
      const changed = leaf.set(otherValue(leaf.value, pick))
      expect(dayChecksum(changed), leaf.path).not.toBe(dayChecksum(base))
    },
    propertyTimeout(BUDGET_MS),
  )

  test.prop([figures, fc.array(fc.nat(), { minLength: 1, maxLength: 30 })], propertyParameters(200, BUDGET_MS))(
    'does not depend on the order the keys were written in, and a discrepancy moved changes it',
    (base, order) => {
      const keys = Object.keys(base).sort(
        (a, b) => (order[a.length % order.length]! % 7) - (order[b.length % order.length]! % 7),
      )
      const shuffled = Object.fromEntries(keys.reverse().map((key) => [key, base[key as keyof DayCloseFigures]]))
      expect(dayChecksum(shuffled as DayCloseFigures)).toBe(dayChecksum(base))
      if (
        base.discrepancies.length >= 2 &&
        JSON.stringify(base.discrepancies[0]) !== JSON.stringify(base.discrepancies[1])
      ) {
        const swapped = {
          ...base,
          discrepancies: [base.discrepancies[1]!, base.discrepancies[0]!, ...base.discrepancies.slice(2)],
        }
        expect(dayChecksum(swapped)).not.toBe(dayChecksum(base))
      }
    },
    propertyTimeout(BUDGET_MS),
  )

  it('is SHA-256 over the documented canonical form: sorted keys, no whitespace', () => {
    const sample = DayCloseFigures.parse({
      date: '2026-03-02',
      courierId: 'cou_AAAAAAAAAAAA',
      staffId: 'SZ1001',
      delivered: 2,
      failed: 0,
      digitalCount: 0,
      digitalFen: 0,
      digitalAwaitingCount: 0,
      digitalAwaitingFen: 0,
      cashCount: 2,
      cashFen: 11160,
      prepaidCount: 0,
      refundCount: 0,
      refundedFen: 0,
      refundPendingFen: 0,
      shortfallCount: 1,
      shortfallFen: 500,
      owedCount: 0,
      owedFen: 0,
      declaredFen: 11160,
      receivedFen: 11100,
      handinDifferenceFen: -60,
      discrepancies: [{ kind: 'handin', amountFen: -60, waybill: null, note: '车上还有六毛' }],
      closedBy: 'sup_AAAAAAAAAAAA',
      closedMs: 1772449200000,
    })
    const canonical = canonicalDayCloseFigures(sample)
    expect(
      canonical.startsWith('{"cashCount":2,"cashFen":11160,"closedBy":"sup_AAAAAAAAAAAA","closedMs":1772449200000,'),
    ).toBe(true)
    expect(dayChecksum(sample)).toBe(createHash('sha256').update(canonical, 'utf8').digest('hex'))
    // The README's recipe, when jq is on this machine: the same digest from the report's JSON.
    let jq: string | null
    try {
      jq = execFileSync('jq', ['-cjS', '.figures'], { input: JSON.stringify({ figures: sample }, null, 2) }).toString(
        'utf8',
      )
    } catch {
      jq = null
    }
    if (jq !== null) expect(jq).toBe(canonical)
  })
})
