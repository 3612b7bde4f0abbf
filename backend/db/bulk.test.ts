import { fc, test } from '@fast-check/vitest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { propertyParameters, propertyTimeout } from '../../shared/testing/property'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { databasesUnderTest } from '../testing/databases'
import { chunks, insertRows } from './bulk'
import type { AcquirerNotificationTable } from './schema'

const BUDGET_MS = 4_000

// What an array literal must quote or escape, and what PostgreSQL's text cannot hold (NUL) left out.
const awkward = fc.constantFrom(
  '',
  'NULL',
  'null',
  '"',
  '\\',
  '{}',
  '{a,b}',
  ',',
  ' ',
  '\t\n',
  "O'Brien",
  '¥66.60',
  '妥投',
)
const text = fc.oneof(
  awkward,
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replaceAll('\u0000', '')),
)

const row = (id: number): fc.Arbitrary<AcquirerNotificationTable> =>
  fc.record({
    notification_id: fc.constant(`ntf_bulk_${id}`),
    type: text,
    intent_id: text,
    transaction_id: text,
    amount_fen: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    occurred_at: text,
    raw_body: text,
    signed_at: fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    received_ms: fc.nat(),
    outcome: fc.constantFrom('received' as const, 'applied' as const, 'rejected' as const),
    reason: fc.option(text, { nil: null }),
    processed_ms: fc.option(fc.nat(), { nil: null }),
  })

let next = 0

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`many-row inserts on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({ database: kind, sandbox: false })
    })
    afterAll(async () => server?.stop())

    const stored = (ids: string[]) =>
      server.db
        .selectFrom('acquirer_notifications')
        .selectAll()
        .where('notification_id', 'in', ids)
        .orderBy('notification_id')
        .execute()

    test.prop(
      [fc.integer({ min: 1, max: 30 }).chain((n) => fc.tuple(...Array.from({ length: n }, () => row(next++))))],
      propertyParameters(40, BUDGET_MS),
    )(
      'stores every row exactly as given: nulls, quotes, backslashes, braces, the word NULL, whole numbers to 2^53',
      async (rows) => {
        await server.db.transaction().execute(async (trx) => {
          await (await insertRows(trx, kind, 'acquirer_notifications', rows)).execute()
        })
        const sorted = [...rows].sort((a, b) => (a.notification_id < b.notification_id ? -1 : 1))
        expect(await stored(rows.map((r) => r.notification_id))).toEqual(sorted)
      },
      propertyTimeout(BUDGET_MS),
    )

    it('takes onConflict like any insert, and rows with different columns as a plain VALUES list', async () => {
      const base = {
        type: 'payment.succeeded',
        intent_id: 'int_1',
        transaction_id: 'txn_1',
        amount_fen: 6660,
        occurred_at: '2026-12-02T08:00:00.000Z',
        raw_body: '{}',
        signed_at: 1,
        received_ms: 2,
        outcome: 'received' as const,
      }
      const first = { ...base, notification_id: 'ntf_conflict_1', reason: null, processed_ms: null }
      await server.db.transaction().execute(async (trx) => {
        await (await insertRows(trx, kind, 'acquirer_notifications', [first])).execute()
      })
      const again = { ...first, outcome: 'applied' as const }
      const other = { ...base, notification_id: 'ntf_conflict_2', reason: 'r', processed_ms: 3 }
      await server.db.transaction().execute(async (trx) => {
        const result = await (
          await insertRows(trx, kind, 'acquirer_notifications', [again, other])
        )
          .onConflict((c) => c.column('notification_id').doNothing())
          .returning('notification_id')
          .execute()
        expect(result).toEqual([{ notification_id: 'ntf_conflict_2' }])
      })
      // Without reason and processed_ms: the columns differ, so the rows go as VALUES, and the missing are null.
      const short = { ...base, notification_id: 'ntf_conflict_3' }
      await server.db.transaction().execute(async (trx) => {
        await (
          await insertRows(trx, kind, 'acquirer_notifications', [
            short,
            { ...other, notification_id: 'ntf_conflict_4' },
          ])
        ).execute()
      })
      // Every row has every column, one of them undefined: left out as Kysely's VALUES leaves it, so null here.
      await server.db.transaction().execute(async (trx) => {
        await (
          await insertRows(trx, kind, 'acquirer_notifications', [
            { ...other, notification_id: 'ntf_conflict_5', reason: undefined },
            { ...other, notification_id: 'ntf_conflict_6' },
          ])
        ).execute()
      })
      const rows = await stored([1, 2, 3, 4, 5, 6].map((n) => `ntf_conflict_${n}`))
      expect(rows.map((r) => [r.notification_id, r.outcome, r.reason, r.processed_ms])).toEqual([
        ['ntf_conflict_1', 'received', null, null],
        ['ntf_conflict_2', 'received', 'r', 3],
        ['ntf_conflict_3', 'received', null, null],
        ['ntf_conflict_4', 'received', 'r', 3],
        ['ntf_conflict_5', 'received', null, 3],
        ['ntf_conflict_6', 'received', 'r', 3],
      ])
    })

    it('refuses no rows and a column the table does not have, writing nothing', async () => {
      await expect(
        server.db.transaction().execute(async (trx) => insertRows(trx, kind, 'acquirer_notifications', [])),
      ).rejects.toThrow(/at least one row/)
      const bogus = { notification_id: 'ntf_bogus', no_such_column: 1 } as never
      await expect(
        server.db.transaction().execute(async (trx) => {
          await (await insertRows(trx, kind, 'acquirer_notifications', [bogus])).execute()
        }),
      ).rejects.toThrow(/no_such_column/)
      expect(await stored(['ntf_bogus'])).toEqual([])
    })
  })
}

describe('chunks', () => {
  it('splits into runs of at most the size, in order, losing nothing', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]])
    expect(chunks([], 3)).toEqual([])
  })
})
