import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The PostgreSQL server the suites run on. `npm test` and Vitest set it to an embedded server when unset. */
export const TEST_PG_URL = 'TUOTOU_TEST_PG_URL'
/** Why the embedded server could not start, when it could not: the reason the suites skip. */
export const EMBEDDED_PG_SKIP = 'TUOTOU_TEST_PG_SKIP'

/** Where the PostgreSQL suites run: `TUOTOU_TEST_PG_URL`, else nowhere (with the reason). */
export type PostgresTarget = { url: string; reason: null } | { url: null; reason: string }

let checked: Promise<PostgresTarget> | null = null

/**
 * Whether PostgreSQL suites can run here, and if not, why (printed once, so a skipped suite says so).
 */
export function postgresTarget(): Promise<PostgresTarget> {
  checked ??= (async (): Promise<PostgresTarget> => {
    const url = process.env[TEST_PG_URL]
    let target: PostgresTarget
    if (!url) {
      target = { url: null, reason: process.env[EMBEDDED_PG_SKIP] ?? `${TEST_PG_URL} is not set` }
    } else {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
      try {
        await client.connect()
        await client.query('select 1')
        target = { url, reason: null }
      } catch (error) {
        target = { url: null, reason: `no PostgreSQL at ${new URL(url).host}: ${(error as Error).message}` }
      } finally {
        await client.end().catch(() => undefined)
      }
    }
    if (target.reason) console.warn(`PostgreSQL suites skipped: ${target.reason}`)
    return target
  })()
  return checked
}

/** A URL for a fresh, empty schema of its own on the test server, so suites never see each other's rows. */
export function freshSchemaUrl(baseUrl: string): { url: string; schema: string } {
  const schema = `t_${randomBytes(6).toString('hex')}`
  const url = new URL(baseUrl)
  url.searchParams.set('schema', schema)
  return { url: url.toString(), schema }
}

/** Drops a test schema and everything in it. */
export async function dropSchema(baseUrl: string, schema: string): Promise<void> {
  if (!/^t_[0-9a-f]{12}$/.test(schema)) throw new Error(`refusing to drop ${schema}: not a test schema`)
  const client = new pg.Client({ connectionString: baseUrl })
  await client.connect()
  try {
    await client.query(`drop schema if exists "${schema}" cascade`)
  } finally {
    await client.end()
  }
}
