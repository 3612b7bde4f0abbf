import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { databasesUnderTest } from '../testing/databases'
import { answerProblems } from '../testing/answers'

/**
 * The fixed seed of this property (`TUOTOU_FUZZ_SEED` and `TUOTOU_FUZZ_RUNS` override it and the number of runs);
 * a failure prints the seed and the values that broke a read.
 */
const SEED = 20261201

/** Columns never made odd: identities (the rows must stay the same rows) and the credentials the reads use. */
const KEPT = /(^|_)id$|_by$|token_hash|^supervisor_sessions\.|^shifts\.(expires_ms|ended_ms)$|^devices\.revoked_at$/

/** Values a database holds for a column of each kind that no write of ours ever stores. */
const ODD_TEXT = [
  '',
  ' ',
  'garbage',
  'NaN',
  '0000-01-01T00:00:00Z',
  '0000-01-01T00:00:00+08:00',
  '-000001-12-31T16:00:00.000Z',
  '+275760-09-13T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
  '2026-02-30',
  '2026-13-01T00:00:00Z',
  'Not/A_Zone',
  'unknown_kind',
  '💥'.repeat(100),
  'x'.repeat(5000),
]
const INT32 = [0, -1, -2_147_483_648, 2_147_483_647]
const INT64 = [
  ...INT32,
  -62_198_755_200_000, // year -1
  253_402_300_800_000, // year 10000
  8_640_000_000_000_001, // past what a Date holds
  -8_640_000_000_000_001,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  1e18,
  -1e18,
]

interface Column {
  table: string
  column: string
  kind: 'text' | 'int32' | 'int64'
  nullable: boolean
  /** The table's primary key: how a row is put back as it was after each run. */
  key: string[]
}

/** The primary-key columns of a table, by the database's own catalogue. */
async function primaryKey(server: TestBackend, table: string): Promise<string[]> {
  if (server.database.kind === 'sqlite') {
    const rows = await sql<{ name: string; pk: number }>`select name, pk from pragma_table_info(${table})`.execute(
      server.db,
    )
    return rows.rows.filter((row) => row.pk > 0).map((row) => row.name)
  }
  const rows = await sql<{ column_name: string }>`
    select kcu.column_name from information_schema.table_constraints tc
    join information_schema.key_column_usage kcu
      on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema
    where tc.table_schema = current_schema() and tc.table_name = ${table} and tc.constraint_type = 'PRIMARY KEY'`.execute(
    server.db,
  )
  return rows.rows.map((row) => row.column_name)
}

/**
 * Reads of the dashboard and the depot never answer 5xx, whatever the database holds: values no write of ours
 * makes (year 0000, counters below zero, totals past any order, timestamps that are not timestamps, kinds this
 * version does not know, a depot time zone that does not exist) are written straight into the tables, and
 * every read endpoint is asked.
 */
for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`reads of odd stored values on ${kind}`, () => {
    let server: TestBackend
    let courier: LoggedInCourier
    let supervisor: SupervisorSessionFixture
    let columns: Column[]

    beforeAll(async () => {
      server = await startTestBackend({ database: kind })
      courier = await loggedInCourier(server, {
        orders: [{ codFen: 6660 }, { codFen: 0 }, { codFen: 19900 }, { codFen: 3580 }],
      })
      supervisor = await supervisorSession(server, courier.fixture.depotId)
      const [cash, prepaid, unverified, failed] = [0, 1, 2, 3].map((i) => courier.order(i))
      const scan = (order: typeof cash) =>
        courier.events.next({
          type: 'parcel.scanned',
          payload: {
            orderId: order!.orderId,
            parcelId: order!.parcels[0]!.parcelId,
            barcode: order!.parcels[0]!.barcode,
            source: 'wedge',
          },
        })
      await server.api.pay(cash!.intent!.qrPayload)
      for (let i = 0; i < 100; i++) {
        const seen = await server.api.intent(courier.shift.shiftToken, cash!.intent!.intentId)
        if (seen.status === 'paid') break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      await server.api.push(courier.device.deviceToken, courier.device.deviceId, [
        scan(cash),
        courier.events.next({
          type: 'delivery.completed',
          payload: {
            orderId: cash!.orderId,
            attempt: 1,
            method: 'cash',
            dueFen: 6660,
            collectedFen: 6000,
            intentId: null,
          },
        }),
        scan(prepaid),
        courier.events.next({
          type: 'delivery.completed',
          payload: {
            orderId: prepaid!.orderId,
            attempt: 1,
            method: 'prepaid',
            dueFen: 0,
            collectedFen: 0,
            intentId: null,
          },
        }),
        courier.events.next({
          type: 'payment.unverified',
          payload: { orderId: unverified!.orderId, intentId: unverified!.intent!.intentId, amountFen: 19900 },
        }),
        courier.events.next({
          type: 'delivery.completed',
          payload: {
            orderId: unverified!.orderId,
            attempt: 1,
            method: 'digital',
            dueFen: 19900,
            collectedFen: 19900,
            intentId: unverified!.intent!.intentId,
          },
        }),
        courier.events.next({
          type: 'delivery.failed',
          payload: { orderId: failed!.orderId, attempt: 1, reason: 'not_home' },
        }),
        courier.events.next({
          type: 'delivery.failed',
          payload: { orderId: failed!.orderId, attempt: 9, reason: 'refused' },
        }),
        courier.events.next({ type: 'shift.cash_declared', payload: { declaredFen: 6000 } }),
      ])
      await server.api.heartbeat(courier.device.deviceToken, courier.device.deviceId, {
        pendingCount: 2,
        oldestPendingAt: new Date().toISOString(),
        lastSyncAt: new Date().toISOString(),
        appVersion: '1.0.0',
        sentAt: new Date().toISOString(),
      })
      await supervisor.dashboard.recordCash(courier.fixture.courierId, {
        date: courier.fixture.routeDate,
        receivedFen: 6000,
        note: 'short',
        version: 0,
      })

      columns = []
      for (const table of await server.db.introspection.getTables()) {
        if (table.name.startsWith('kysely_')) continue
        const key = await primaryKey(server, table.name)
        if (key.length === 0) continue
        for (const column of table.columns) {
          if (key.includes(column.name) || KEPT.test(`${table.name}.${column.name}`)) continue
          const type = column.dataType.toLowerCase()
          const kind =
            type.includes('text') || type.includes('char')
              ? 'text'
              : type === 'int4' || type === 'integer'
                ? 'int32'
                : 'int64'
          columns.push({ table: table.name, column: column.name, kind, nullable: column.isNullable, key })
        }
      }
    })
    afterAll(async () => server?.stop())

    const oddValue = (column: Column): fc.Arbitrary<string | number | null> => {
      const values = column.kind === 'text' ? ODD_TEXT : column.kind === 'int32' ? INT32 : INT64
      return fc.oneof(
        fc.constantFrom<string | number | null>(...values, ...(column.nullable ? [null] : [])),
        column.kind === 'text' ? fc.string({ maxLength: 40 }) : fc.integer(),
      )
    }
    const mutation = () =>
      fc
        .integer({ min: 0, max: columns.length - 1 })
        .chain((i) => oddValue(columns[i]!).map((value) => ({ ...columns[i]!, value })))

    it('answers every dashboard and depot read, whatever odd values the tables hold', async () => {
      expect(columns.length).toBeGreaterThan(100)
      const reads = server.backend.routes.filter(
        (route) => route.method === 'GET' && route.auth === 'supervisor' && !route.contentType,
      )
      expect(reads.length).toBeGreaterThanOrEqual(6)
      await fc.assert(
        fc.asyncProperty(fc.array(mutation(), { minLength: 1, maxLength: 6 }), async (mutations) => {
          // What each run changes is put back after it, so every run (and a shrunk counterexample) starts alike.
          const saved: { column: Column; rows: Record<string, unknown>[] }[] = []
          for (const column of mutations) {
            const rows = await sql<Record<string, unknown>>`select ${sql.join(
              [...column.key, column.column].map((name) => sql.ref(name)),
            )} from ${sql.table(column.table)}`.execute(server.db)
            saved.unshift({ column, rows: rows.rows })
            // Constraints (unique keys, not null) refuse some values; what they refuse cannot be stored.
            await sql`update ${sql.table(column.table)} set ${sql.ref(column.column)} = ${column.value}`
              .execute(server.db)
              .catch(() => null)
          }
          try {
            await readAll()
          } finally {
            for (const { column, rows } of saved) {
              for (const row of rows) {
                await sql`update ${sql.table(column.table)} set ${sql.ref(column.column)} = ${row[column.column]}
                  where ${sql.join(
                    column.key.map((name) => sql`${sql.ref(name)} = ${row[name]}`),
                    sql` and `,
                  )}`.execute(server.db)
              }
            }
          }
        }),
        {
          seed: Number(process.env.TUOTOU_FUZZ_SEED ?? SEED),
          numRuns: Number(process.env.TUOTOU_FUZZ_RUNS ?? (kind === 'sqlite' ? 60 : 30)),
        },
      )
      async function readAll(): Promise<void> {
        for (const route of reads) {
          for (const query of ['', `?date=${courier.fixture.routeDate}`]) {
            const answer = await fetch(`${server.url}${route.url}${query}`, {
              headers: { authorization: `Bearer ${supervisor.token}` },
            })
            const text = await answer.text()
            const problems = answerProblems(answer.status, text)
            if (problems.length > 0) throw new Error(`GET ${route.url}${query}: ${problems.join('; ')}`)
          }
        }
      }
    }, 120_000)
  })
}
