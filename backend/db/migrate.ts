import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely'
import { backendMigrations } from './migrations'

class StaticMigrations implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(this.migrations)
  }
}

/** Brings the schema up to date at start; a failed step stops the backend rather than serving half a schema. */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  migrations: Record<string, Migration> = backendMigrations,
): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticMigrations(migrations) })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown'
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`)
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName)
}
