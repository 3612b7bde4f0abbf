import type { Kysely } from 'kysely'
import { DASHBOARD_TABLES } from '../dashboard/schema'
import type { BackendSchema } from '../db/schema'

const TABLES: (keyof BackendSchema)[] = [
  'depots',
  'supervisors',
  'supervisor_sessions',
  'couriers',
  'login_attempts',
  'devices',
  'enrollment_codes',
  'routes',
  'stops',
  'orders',
  'parcels',
  'shifts',
  'payment_intents',
  'intent_withdrawals',
  'payments',
  'acquirer_notifications',
  'webhook_signatures',
  'device_events',
  'delivery_attempts',
  'cash_declarations',
  'settlements',
  'flags',
  'stream_cursors',
  'stream_messages',
  'evidence',
  'evidence_orphans',
  'statements',
  'statement_lines',
  'statement_imports',
  'courier_targets',
  ...DASHBOARD_TABLES,
]

/**
 * Every row of every backend table, in a stable order: take one before a bad request and one after, and
 * `expect(after).toEqual(before)` proves the request changed nothing. `ignore` leaves out columns that move
 * on every contact (e.g. `devices.last_contact_ms`).
 */
export async function snapshotTables(
  db: Kysely<BackendSchema>,
  ignore: Partial<Record<keyof BackendSchema, string[]>> = { devices: ['last_contact_ms'] },
): Promise<Record<string, string[]>> {
  const snapshot: Record<string, string[]> = {}
  for (const table of TABLES) {
    const rows = (await db.selectFrom(table).selectAll().execute()) as Record<string, unknown>[]
    snapshot[table] = rows
      .map((row) => {
        const copy = { ...row }
        for (const column of ignore[table] ?? []) delete copy[column]
        return JSON.stringify(copy, Object.keys(copy).sort())
      })
      .sort()
  }
  return snapshot
}
