import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { CompiledQuery, Kysely, PostgresDialect, sql, type Transaction } from 'kysely'
import pg from 'pg'
import type { BackendSchema } from './schema'
import { CachedSqliteDialect } from './sqlite-driver'

export type DatabaseKind = 'sqlite' | 'postgres'

export interface BackendDb {
  db: Kysely<BackendSchema>
  kind: DatabaseKind
  /** Where it is, without credentials, for logs and the health answer. */
  description: string
  /**
   * A few PostgreSQL connections of their own for what a device waits on live: the acquirer's webhooks and the
   * stream reads they wake. A flood of pushes queues for the main pool (ingest's lanes and every push's token
   * check); this never does. Absent on SQLite, where there is one connection.
   */
  urgent?: Kysely<BackendSchema>
  /** The PostgreSQL connection settings (schema included), for the stream hub's LISTEN connection. */
  postgres?: { config: pg.ClientConfig; schema: string | null }
  close(): Promise<void>
}

export type Trx = Transaction<BackendSchema>

/** `postgres://…` or `postgresql://…` selects PostgreSQL; anything else is a SQLite file path. */
export function databaseKind(target: string): DatabaseKind {
  return /^postgres(ql)?:\/\//.test(target) ? 'postgres' : 'sqlite'
}

// int8 (COUNT, bigint columns) and numeric (SUM of bigint) come back from pg as strings; every such value the
// backend stores is an integer far below 2^53 (fen, epoch ms, sequences), so they are read as numbers.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown
  },
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** Connections each backend instance keeps to PostgreSQL. */
export const POSTGRES_POOL_SIZE = 10
/** And for webhooks and stream reads (`BackendDb.urgent`). */
export const URGENT_POOL_SIZE = 6

/**
 * Opens the backend's database: a SQLite file (WAL, synchronous=FULL) by default, or PostgreSQL for a
 * multi-depot deployment. Both run the same Kysely queries. A PostgreSQL URL may carry `?schema=name` to keep
 * one deployment (or one test suite) in its own schema; the schema is created when missing.
 */
export function openBackendDb(target: string): BackendDb {
  if (databaseKind(target) === 'postgres') {
    const url = new URL(target)
    const schema = url.searchParams.get('schema')
    if (schema !== null && !SCHEMA_NAME.test(schema)) throw new Error(`bad PostgreSQL schema name ${schema}`)
    url.searchParams.delete('schema')
    const config: pg.ClientConfig = {
      connectionString: url.toString(),
      types: pgTypes,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    }
    let schemaReady: Promise<void> | null = null
    const kysely = (max: number): Kysely<BackendSchema> =>
      new Kysely<BackendSchema>({
        dialect: new PostgresDialect({
          pool: new pg.Pool({ ...config, max }),
          onCreateConnection: async (connection) => {
            if (!schema) return
            // One connection creates it; the others wait for that rather than race on pg_namespace.
            schemaReady ??= connection
              .executeQuery(CompiledQuery.raw(`create schema if not exists "${schema}"`))
              .then(() => undefined)
            await schemaReady
          },
        }),
      })
    const db = kysely(POSTGRES_POOL_SIZE)
    const urgent = kysely(URGENT_POOL_SIZE)
    return {
      db,
      kind: 'postgres',
      description: `postgres://${url.hostname}:${url.port || 5432}${url.pathname}${schema ? ` (schema ${schema})` : ''}`,
      urgent,
      postgres: { config, schema },
      close: async () => {
        await urgent.destroy()
        await db.destroy()
      },
    }
  }
  const file = resolve(target)
  mkdirSync(dirname(file), { recursive: true })
  const database = new Database(file)
  database.pragma('journal_mode = WAL')
  database.pragma('synchronous = FULL')
  database.pragma('foreign_keys = ON')
  database.pragma('busy_timeout = 5000')
  const db = new Kysely<BackendSchema>({ dialect: new CachedSqliteDialect(database) })
  return { db, kind: 'sqlite', description: file, close: () => db.destroy() }
}

/** A cheap round trip, for the health check. */
export async function ping(db: Kysely<BackendSchema>): Promise<void> {
  await sql`select 1`.execute(db)
}
