import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { propertyParameters } from '../../shared/testing/property'
import { readStatement, StatementError, writeStatement } from './format'

const KEY = 'merchant-key-for-properties'
const DAY = '2026-12-01'
const DAY_START = Date.parse(`${DAY}T00:00:00+08:00`)

const idBody = fc.stringMatching(/^[A-Za-z0-9]{8,20}$/)
const line = fc.record({
  transactionId: idBody.map((b) => `tx_${b}`),
  intentId: idBody.map((b) => `pi_${b}`),
  amountFen: fc.integer({ min: 1, max: 5_000_000 }),
  timeMs: fc.integer({ min: DAY_START, max: DAY_START + 24 * 3600_000 - 1 }),
  type: fc.constantFrom('payment' as const, 'refund' as const),
})
const statement = fc.uniqueArray(line, { minLength: 0, maxLength: 12, selector: (l) => l.transactionId }).map((lines) =>
  writeStatement(
    {
      merchantId: 'JDL-SZ-0001',
      date: DAY,
      lines: lines
        .map((l) => ({ ...l, feeFen: l.type === 'payment' ? Math.floor(l.amountFen / 1000) : 0 }))
        .sort((a, b) => a.timeMs - b.timeMs),
    },
    KEY,
  ),
)

/** One change to the file's text: a character replaced, inserted or deleted anywhere. */
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    char: fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    char: fc.oneof(fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }), fc.constant('\n'), fc.constant('\r')),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), char: fc.constant('') }),
)

function mutate(text: string, change: { kind: 'replace' | 'insert' | 'delete'; at: number; char: string }): string {
  const at = change.at % (text.length + (change.kind === 'insert' ? 1 : 0))
  if (change.kind === 'insert') return text.slice(0, at) + change.char + text.slice(at)
  if (change.kind === 'delete') return text.slice(0, at) + text.slice(at + 1)
  return text.slice(0, at) + change.char + text.slice(at + 1)
}

describe('statement format, properties', () => {
  it('reads back every statement it writes', () => {
    fc.assert(
      fc.property(statement, (text) => {
        expect(readStatement(text, KEY).lines.length).toBe(text.trimEnd().split('\n').length - 2)
      }),
      propertyParameters(200, 5_000),
    )
  })

  it('refuses any change to a statement with a line inside the file, or reads it exactly as the original', () => {
    fc.assert(
      fc.property(statement, fc.array(mutation, { minLength: 1, maxLength: 3 }), (text, changes) => {
        const original = readStatement(text, KEY)
        const changed = changes.reduce(mutate, text)
        let read
        try {
          read = readStatement(changed, KEY)
        } catch (error) {
          expect(error).toBeInstanceOf(StatementError)
          const refusal = error as StatementError
          expect(refusal.line).toBeGreaterThanOrEqual(1)
          expect(refusal.line).toBeLessThanOrEqual(Math.max(1, changed.split('\n').length))
          expect(refusal.message).toMatch(/^line \d+: \S/)
          return
        }
        // What still reads (a line break at the end, \r\n for \n) is the very same statement.
        expect(read).toEqual(original)
      }),
      propertyParameters(1_000, 10_000),
    )
  })
})

describe('statement format, the header', () => {
  it("refuses a statement whose header's merchant or day was changed, rows or none", () => {
    const empty = writeStatement({ merchantId: 'JDL-SZ-0001', date: DAY, lines: [] }, KEY)
    for (const changed of [empty.replace('JDL-SZ-0001', 'JDL-SZ-0002'), empty.replace(DAY, '2026-12-02')]) {
      expect(() => readStatement(changed, KEY)).toThrow(/^line 1: the checksum/)
    }
  })
})
