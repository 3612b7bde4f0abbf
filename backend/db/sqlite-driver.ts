import type BetterSqlite3 from 'better-sqlite3'
import {
  CompiledQuery,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely'

type Statement = BetterSqlite3.Statement<unknown[], unknown>

/** Prepared statements kept per SQL text; the backend issues a few dozen distinct shapes, batches excepted. */
const STATEMENT_CACHE_SIZE = 512

class CachedConnection implements DatabaseConnection {
  private readonly statements = new Map<string, Statement>()

  constructor(private readonly database: BetterSqlite3.Database) {}

  private prepare(sqlText: string): Statement {
    let statement = this.statements.get(sqlText)
    if (statement) {
      // Refresh its place so the least recently used one is evicted first.
      this.statements.delete(sqlText)
      this.statements.set(sqlText, statement)
      return statement
    }
    statement = this.database.prepare(sqlText)
    this.statements.set(sqlText, statement)
    if (this.statements.size > STATEMENT_CACHE_SIZE) {
      this.statements.delete(this.statements.keys().next().value!)
    }
    return statement
  }

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.prepare(compiled.sql)
    const parameters = compiled.parameters as unknown[]
    if (statement.reader) return Promise.resolve({ rows: statement.all(...parameters) as R[] })
    const { changes, lastInsertRowid } = statement.run(...parameters)
    return Promise.resolve({
      numAffectedRows: BigInt(changes),
      insertId: BigInt(lastInsertRowid),
      rows: [],
    })
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the backend does not stream SQLite queries')
  }
}

/**
 * better-sqlite3 behind Kysely with two differences from Kysely's own driver: statements are prepared once and
 * reused (ingest runs the same few statements thousands of times a second), and transactions begin IMMEDIATE,
 * so a transaction that reads then writes never fails with SQLITE_BUSY when another process (a test fixture,
 * a second backend) writes the same file: it waits for busy_timeout instead.
 */
class CachedSqliteDriver implements Driver {
  private connection: CachedConnection | null = null
  private lock: Promise<void> = Promise.resolve()

  constructor(private readonly database: BetterSqlite3.Database) {}

  init(): Promise<void> {
    this.connection = new CachedConnection(this.database)
    return Promise.resolve()
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    // One connection, one user at a time: chain on the previous holder's release.
    const previous = this.lock
    let release!: () => void
    this.lock = new Promise((resolve) => (release = resolve))
    await previous
    this.releaseCurrent = release
    return this.connection!
  }

  private releaseCurrent: (() => void) | null = null

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async savepoint(connection: DatabaseConnection, name: string, _compile: QueryCompiler['compileQuery']) {
    await connection.executeQuery(CompiledQuery.raw(`savepoint "${name}"`))
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`rollback to "${name}"`))
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`release "${name}"`))
  }

  releaseConnection(): Promise<void> {
    const release = this.releaseCurrent
    this.releaseCurrent = null
    release?.()
    return Promise.resolve()
  }

  destroy(): Promise<void> {
    this.database.close()
    return Promise.resolve()
  }
}

/** Kysely's SQLite dialect with the cached, IMMEDIATE-transaction driver above. */
export class CachedSqliteDialect extends SqliteDialect {
  constructor(private readonly sqlite: BetterSqlite3.Database) {
    super({ database: sqlite })
  }

  override createDriver(): Driver {
    return new CachedSqliteDriver(this.sqlite)
  }
}
