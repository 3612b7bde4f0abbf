import type { Kysely, Migration } from 'kysely'

/**
 * The virtual numbers bound for couriers to call customers (kept as the record of who was reached how), and a
 * stop a courier skipped for now, with the reason.
 */
export const callsAndStops: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('call_bindings')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('order_id', 'text', (col) => col.notNull())
      .addColumn('shift_id', 'text', (col) => col.notNull())
      .addColumn('number', 'text', (col) => col.notNull())
      .addColumn('extension', 'text')
      .addColumn('provider', 'text', (col) => col.notNull())
      .addColumn('valid_until_ms', 'bigint', (col) => col.notNull())
      .addColumn('created_ms', 'bigint', (col) => col.notNull())
      .execute()
    await db.schema.createIndex('call_bindings_order').on('call_bindings').column('order_id').execute()
    await db.schema.alterTable('stops').addColumn('skipped_reason', 'text').execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('stops').dropColumn('skipped_reason').execute()
    await db.schema.dropTable('call_bindings').execute()
  },
}
