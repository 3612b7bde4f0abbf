import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import type { BackendSchema } from './schema'

export type DatabaseKind = 'sqlite' | 'postgres'

export interface BackendDb {
  db: Kysely<BackendSchema>
  kind: DatabaseKind
  /** Where it is, without credentials, for logs and the health answer. */
  description: string
  close(): Promise<void>
}

/** `postgres://…` or `postgresql://…` selects PostgreSQL; anything else is a SQLite file path. */
export function databaseKind(target: string): DatabaseKind {
  return /^postgres(ql)?:\/\//.test(target) ? 'postgres' : 'sqlite'
}

/**
 * Opens the backend's database: a SQLite file (WAL, synchronous=FULL) by default, or PostgreSQL for a
 * multi-depot deployment. Both run the same Kysely queries.
 */
export function openBackendDb(target: string): BackendDb {
  if (databaseKind(target) === 'postgres') {
    const pool = new pg.Pool({ connectionString: target, max: 10 })
    const url = new URL(target)
    const db = new Kysely<BackendSchema>({ dialect: new PostgresDialect({ pool }) })
    return {
      db,
      kind: 'postgres',
      description: `postgres://${url.hostname}:${url.port || 5432}${url.pathname}`,
      close: () => db.destroy(),
    }
  }
  const file = resolve(target)
  mkdirSync(dirname(file), { recursive: true })
  const database = new Database(file)
  database.pragma('journal_mode = WAL')
  database.pragma('synchronous = FULL')
  database.pragma('foreign_keys = ON')
  database.pragma('busy_timeout = 5000')
  const db = new Kysely<BackendSchema>({ dialect: new SqliteDialect({ database }) })
  return { db, kind: 'sqlite', description: file, close: () => db.destroy() }
}

/** A cheap round trip, for the health check. */
export async function ping(db: Kysely<BackendSchema>): Promise<void> {
  await sql`select 1`.execute(db)
}
