/**
 * Vitest's global set-up (vitest.config.ts): when `TUOTOU_TEST_PG_URL` is not set, the PostgreSQL suites run
 * against a throwaway embedded PostgreSQL started here and stopped after the run. If it cannot start, they skip
 * and say why (`postgresTarget`).
 */
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres'
import { EMBEDDED_PG_SKIP, TEST_PG_URL } from './postgres'

export default async function setup(): Promise<() => Promise<void>> {
  // Given, or `npm test` already tried (scripts/test.mjs).
  if (process.env[TEST_PG_URL] || process.env[EMBEDDED_PG_SKIP]) return () => Promise.resolve()
  let server: EmbeddedPostgres | null = null
  try {
    server = await startEmbeddedPostgres()
    // Set before the test workers start, so they and every process they spawn see it.
    process.env[TEST_PG_URL] = server.url
    console.log(`PostgreSQL suites: embedded PostgreSQL ${server.version} on ${new URL(server.url).host}`)
  } catch (error) {
    process.env[EMBEDDED_PG_SKIP] = `embedded PostgreSQL did not start: ${(error as Error).message}`
  }
  return async () => {
    await server?.stop()
  }
}
