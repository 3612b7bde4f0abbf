import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { TuotouError } from '../../shared/errors'

/** One append-only schema step. `id` is `<epochms>_<description>` and orders the steps. */
export interface Migration {
  id: string
  sql: string
}

export type SqlValue = string | number | bigint | null | Buffer
export type SqlParams = readonly SqlValue[] | Record<string, SqlValue>

/**
 * A thin wrapper over better-sqlite3: open, run, get, all and transaction. Statements are cached by SQL text,
 * so hot paths (scan lookup, outbox write) do not re-prepare.
 */
export interface DeviceDb {
  readonly file: string
  run(sql: string, params?: SqlParams): Database.RunResult
  get<T>(sql: string, params?: SqlParams): T | undefined
  all<T>(sql: string, params?: SqlParams): T[]
  /** Runs `fn` in one IMMEDIATE transaction; it commits when `fn` returns and rolls back if it throws. */
  transaction<T>(fn: () => T): T
  close(): void
  readonly raw: Database.Database
}

export interface OpenOptions {
  /** Native binding path, for an Electron build whose ABI differs from Node's. */
  nativeBinding?: string
  /**
   * Caps the database's size: past it every write fails as on a full disk (SQLite's `max_page_count`). A device
   * may bound its store this way; tests use it to fill the disk.
   */
  maxBytes?: number
}

/**
 * What a storage failure means for the courier, as an error every boundary carries: a full disk, a folder that
 * cannot be written, or a store that failed. The transaction that met it rolled back, so nothing was recorded.
 * Null for anything that is not a storage failure.
 */
export function storageFailure(error: unknown, where?: string): TuotouError | null {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return null
  const at = where ? ` (${where})` : ''
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new TuotouError('storage.full', `device storage is full: nothing was recorded${at}`)
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return new TuotouError('storage.read_only', `the device's data folder cannot be written: nothing was recorded${at}`)
  }
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_CORRUPT')) {
    return new TuotouError('storage.failed', `the device's storage failed (${code}): nothing was recorded${at}`)
  }
  return null
}

/**
 * Opens (creating if needed) the device's SQLite file with the durability the outbox relies on:
 * WAL with synchronous=FULL, so a committed transaction survives kill -9 and power loss.
 */
export function openDeviceDb(file: string, migrations: readonly Migration[], options: OpenOptions = {}): DeviceDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const raw = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {})
  try {
    raw.pragma('journal_mode = WAL')
    raw.pragma('synchronous = FULL')
    raw.pragma('foreign_keys = ON')
    raw.pragma('busy_timeout = 5000')
    if (options.maxBytes) {
      const pageSize = raw.pragma('page_size', { simple: true }) as number
      raw.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`)
    }
  } catch (error) {
    raw.close()
    throw error
  }

  const statements = new Map<string, Database.Statement>()
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql)
    if (!statement) {
      statement = raw.prepare(sql)
      statements.set(sql, statement)
    }
    return statement
  }
  const bind = (params: SqlParams | undefined): unknown[] =>
    params === undefined ? [] : Array.isArray(params) ? [...(params as SqlValue[])] : [params]

  const db: DeviceDb = {
    file,
    raw,
    run: (sql, params) => prepare(sql).run(...bind(params)),
    get: <T>(sql: string, params?: SqlParams) => prepare(sql).get(...bind(params)) as T | undefined,
    all: <T>(sql: string, params?: SqlParams) => prepare(sql).all(...bind(params)) as T[],
    transaction: <T>(fn: () => T): T => raw.transaction(fn).immediate(),
    close: () => {
      statements.clear()
      raw.close()
    },
  }

  try {
    migrate(db, migrations)
  } catch (error) {
    raw.close()
    throw error
  }
  return db
}

function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex')
}

/**
 * Applies the migrations not yet applied, each in its own transaction, in id order. A shipped migration must
 * never change: if an applied one's text differs from what was applied, opening fails rather than guessing.
 */
export function migrate(db: DeviceDb, migrations: readonly Migration[]): void {
  db.raw.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id TEXT PRIMARY KEY,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`)
  const sorted = [...migrations].sort((a, b) => a.id.localeCompare(b.id))
  const applied = new Map(
    db
      .all<{ id: string; checksum: string }>('SELECT id, checksum FROM schema_migrations')
      .map((row) => [row.id, row.checksum]),
  )
  for (const migration of sorted) {
    const sum = checksum(migration.sql)
    const previous = applied.get(migration.id)
    if (previous !== undefined) {
      if (previous !== sum) {
        throw new Error(`migration ${migration.id} was edited after it was applied; add a new migration instead`)
      }
      continue
    }
    db.transaction(() => {
      db.raw.exec(migration.sql)
      db.run('INSERT INTO schema_migrations (id, checksum, applied_at) VALUES (?, ?, ?)', [
        migration.id,
        sum,
        new Date().toISOString(),
      ])
    })
  }
}
