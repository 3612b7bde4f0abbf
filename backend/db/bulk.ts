import { sql, type Insertable, type InsertQueryBuilder, type InsertResult } from 'kysely'
import type { BackendSchema } from './schema'
import type { DatabaseKind, Trx } from './connect'

/** Splits rows into statements of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

type Table = keyof BackendSchema

/** Each table's column types as PostgreSQL states them, looked up once a process (the migrations fix them). */
const columnTypes = new Map<string, Map<string, string>>()

async function typesOf(trx: Trx, table: Table, columns: readonly string[]): Promise<Map<string, string>> {
  const known = columnTypes.get(table)
  if (known && columns.every((c) => known.has(c))) return known
  const { rows } = await sql<{ name: string; type: string }>`
    select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute
    where attrelid = to_regclass(${table}) and attnum > 0 and not attisdropped`.execute(trx)
  const types = new Map(rows.map((r) => [r.name, r.type]))
  const missing = columns.filter((c) => !types.has(c))
  if (missing.length > 0) throw new Error(`${table} has no column ${missing.join(', ')}`)
  columnTypes.set(table, types)
  return types
}

/**
 * A many-row INSERT, for the caller to add `onConflict` to and execute. On PostgreSQL the rows go as one array
 * per column through `unnest`, so a batch of 200 events is fifteen parameters instead of 3,000: Kysely compiles,
 * pg serialises and PostgreSQL parses a statement whose text never changes (bench/fleet: about a fifth of an
 * instance's CPU went to building and sending the 3,000). SQLite, in process, takes the plain VALUES list.
 * Rows with different columns, or an undefined value, go as VALUES everywhere.
 */
export async function insertRows<T extends Table>(
  trx: Trx,
  kind: DatabaseKind,
  table: T,
  rows: readonly Insertable<BackendSchema[T]>[],
): Promise<InsertQueryBuilder<BackendSchema, T, InsertResult>> {
  if (rows.length === 0) throw new RangeError('insertRows needs at least one row')
  const insert = trx.insertInto(table)
  const columns = Object.keys(rows[0]!)
  // Kysely leaves a column out where a row's value is undefined (its default applies); unnest cannot, so such
  // rows, like rows with other columns, go as VALUES.
  const same = rows.every((row) => {
    const keys = Object.keys(row)
    const values = row as Record<string, unknown>
    return keys.length === columns.length && columns.every((c) => c in row && values[c] !== undefined)
  })
  if (kind === 'sqlite' || !same) return insert.values(rows)
  const types = await typesOf(trx, table, columns)
  const arrays = columns.map((column) => {
    const values = rows.map((row) => (row as Record<string, unknown>)[column])
    return sql`${sql.val(values)}::${sql.raw(types.get(column)!)}[]`
  })
  return insert.columns(columns as never).expression(sql`select * from unnest(${sql.join(arrays)})` as never)
}
