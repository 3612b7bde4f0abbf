import pg from 'pg'
import { startEmbeddedPostgres } from '../../backend/testing/embedded-postgres'
import { TEST_PG_URL } from '../../backend/testing/postgres'

export interface BenchPostgres {
  url: string
  /** What it is, for the figures' notes. */
  label: string
  stop(): Promise<void>
}

/**
 * The PostgreSQL the fleet bench measures: `TUOTOU_TEST_PG_URL` when set, otherwise an embedded server with
 * PostgreSQL's own durability (fsync on), since these figures are about writes. Each part uses a fresh schema.
 */
export async function benchPostgres(): Promise<BenchPostgres> {
  const given = process.env[TEST_PG_URL]
  if (given) {
    const client = new pg.Client({ connectionString: given })
    await client.connect()
    const version = (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version
    await client.end()
    return { url: given, label: `PostgreSQL ${version} at ${new URL(given).host}`, stop: () => Promise.resolve() }
  }
  const server = await startEmbeddedPostgres({ durable: true })
  return { url: server.url, label: `embedded PostgreSQL ${server.version}, fsync on`, stop: () => server.stop() }
}
