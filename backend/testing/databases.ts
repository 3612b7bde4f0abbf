import { postgresTarget } from './postgres'

export interface DatabaseUnderTest {
  kind: 'sqlite' | 'postgres'
  /** Why this kind is skipped here, or null when it runs. */
  skip: string | null
}

/**
 * The databases a store or API suite runs against: SQLite always, PostgreSQL when `TUOTOU_TEST_PG_URL` reaches
 * a server (otherwise skipped, and the reason printed).
 *
 * ```ts
 * for (const { kind, skip } of await databasesUnderTest()) {
 *   describe.skipIf(skip !== null)(`ingest on ${kind}`, () => { … startTestBackend({ database: kind }) … })
 * }
 * ```
 */
export async function databasesUnderTest(): Promise<DatabaseUnderTest[]> {
  const postgres = await postgresTarget()
  return [
    { kind: 'sqlite', skip: null },
    { kind: 'postgres', skip: postgres.reason },
  ]
}
