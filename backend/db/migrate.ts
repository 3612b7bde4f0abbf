import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely'
import type { BackendDb } from './connect'
import { backendMigrations } from './migrations'

class StaticMigrations implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(this.migrations)
  }
}

/**
 * Brings the schema up to date at start; a failed step stops the backend rather than serving half a schema.
 * Given a `BackendDb` on PostgreSQL, the migration bookkeeping lives in its own schema: Kysely otherwise finds
 * another schema's bookkeeping table (a second deployment, a test suite) and believes it is its own.
 */
export async function migrateToLatest<DB>(
  target: Kysely<DB> | BackendDb,
  migrations: Record<string, Migration> = backendMigrations,
): Promise<string[]> {
  const db = ('db' in target ? target.db : target) as Kysely<unknown>
  const schema = 'db' in target && target.kind === 'postgres' ? (target.postgres?.schema ?? 'public') : undefined
  const migrator = new Migrator({
    db,
    provider: new StaticMigrations(migrations),
    ...(schema ? { migrationTableSchema: schema } : {}),
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown'
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`)
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName)
}
