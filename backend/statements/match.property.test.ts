import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { propertyParameters } from '../../shared/testing/property'
import { statementFee } from './fees'
import { matchThreeWays, type MoneyLine, type ThreeWays } from './match'

const FEE_BP = 6

/** A movement of money all three accounts agree on, and whether a device reported it (payments only). */
const movement = fc.record({
  body: fc.stringMatching(/^[A-Za-z0-9]{10}$/),
  type: fc.constantFrom('payment' as const, 'refund' as const),
  amountFen: fc.integer({ min: 1, max: 5_000_000 }),
  onDevice: fc.boolean(),
})

type Discrepancy = 'drop_statement' | 'drop_backend' | 'amount' | 'fee' | 'none'
const EXPECTED: Record<Exclude<Discrepancy, 'none'>, string> = {
  drop_statement: 'missing_in_statement',
  drop_backend: 'missing_in_backend',
  amount: 'amount_differs',
  fee: 'fee_differs',
}

type Movement = { body: string; type: 'payment' | 'refund'; amountFen: number; onDevice: boolean }

function consistent(movements: Movement[]): ThreeWays {
  const lines: MoneyLine[] = movements.map((m, index) => ({
    transactionId: `${m.type === 'payment' ? 'tx' : 'rf'}_${m.body}`,
    intentId: `pi_${m.body}`,
    type: m.type,
    amountFen: m.amountFen,
    feeFen: null,
    line: index + 3,
  }))
  return {
    statement: lines.map((l) => ({ ...l, feeFen: l.type === 'payment' ? statementFee(l.amountFen, FEE_BP) : 0 })),
    backend: lines.map((l) => ({ ...l, line: null })),
    devices: lines.filter((l, i) => l.type === 'payment' && movements[i]!.onDevice).map((l) => ({ ...l, line: null })),
    knownTransactions: new Set(lines.map((l) => l.transactionId)),
  }
}

const movements = fc.uniqueArray(movement, { maxLength: 40, selector: (m) => m.body })

describe('three-way matching, properties', () => {
  it('finds nothing when the statement, the backend and the devices agree', () => {
    fc.assert(
      fc.property(movements, (list) => {
        const accounts = consistent(list)
        expect(matchThreeWays(accounts, FEE_BP)).toEqual({ mismatches: [], agreed: list.length })
      }),
      propertyParameters(300, 5_000),
    )
  })

  it('finds every injected discrepancy exactly once, of its kind, and nothing else', () => {
    const injected = movements.chain((list) =>
      fc.tuple(
        fc.constant(list),
        fc.array(fc.constantFrom<Discrepancy>('drop_statement', 'drop_backend', 'amount', 'fee', 'none'), {
          minLength: list.length,
          maxLength: list.length,
        }),
        fc.array(fc.stringMatching(/^[A-Za-z0-9]{12}$/), { maxLength: 5 }).map((ids) => [...new Set(ids)]),
      ),
    )
    fc.assert(
      fc.property(injected, ([list, discrepancies, phantoms]) => {
        const accounts = consistent(list)
        const wanted: [string, string][] = []
        const statement: MoneyLine[] = []
        const backend: MoneyLine[] = []
        list.forEach((_, i) => {
          const line = accounts.statement[i]!
          const ours = accounts.backend[i]!
          const change = discrepancies[i]!
          if (change !== 'none') wanted.push([EXPECTED[change], line.transactionId])
          if (change !== 'drop_statement') {
            statement.push(
              change === 'amount'
                ? { ...line, amountFen: line.amountFen + 1 }
                : change === 'fee'
                  ? { ...line, feeFen: (line.feeFen ?? 0) + 1 }
                  : line,
            )
          }
          if (change !== 'drop_backend') backend.push(ours)
        })
        // Devices claiming payments nobody else has.
        const devices = [
          ...accounts.devices,
          ...phantoms.map((body) => ({
            transactionId: `tx_phantom${body}`,
            intentId: null,
            type: 'payment' as const,
            amountFen: 100,
            feeFen: null,
            line: null,
          })),
        ]
        for (const body of phantoms) wanted.push(['device_claim_unknown', `tx_phantom${body}`])
        const known = new Set(backend.map((l) => l.transactionId))
        const { mismatches, agreed } = matchThreeWays({ statement, backend, devices, knownTransactions: known }, FEE_BP)
        const found = mismatches.map((m): [string, string] => [m.kind, m.transactionId])
        const order = (pairs: [string, string][]) => pairs.map((p) => p.join(' ')).sort()
        expect(order(found)).toEqual(order(wanted))
        expect(agreed).toBe(discrepancies.filter((d) => d === 'none').length)
      }),
      propertyParameters(300, 8_000),
    )
  })
})
