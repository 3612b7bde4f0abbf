import type { Kysely, Migration } from 'kysely'

/**
 * Evidence files (issue 14): one row per photo or signature a device's applied `proof.evidence_captured` event
 * announced, with the hash and size it bound; when its upload was verified and stored, and when retention deleted
 * the file (the row stays as the record of the deletion).
 */
export const evidence: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('evidence')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('device_id', 'text', (col) => col.notNull())
      .addColumn('depot_id', 'text', (col) => col.notNull())
      .addColumn('order_id', 'text', (col) => col.notNull())
      .addColumn('attempt', 'integer', (col) => col.notNull())
      .addColumn('kind', 'text', (col) => col.notNull())
      .addColumn('mime', 'text', (col) => col.notNull())
      .addColumn('sha256', 'text', (col) => col.notNull())
      .addColumn('bytes', 'integer', (col) => col.notNull())
      .addColumn('captured_at', 'text', (col) => col.notNull())
      .addColumn('captured_ms', 'bigint', (col) => col.notNull())
      .addColumn('event_id', 'text', (col) => col.notNull())
      .addColumn('created_ms', 'bigint', (col) => col.notNull())
      .addColumn('stored_ms', 'bigint')
      .addColumn('deleted_ms', 'bigint')
      .execute()
    await db.schema.createIndex('evidence_by_order').on('evidence').columns(['order_id', 'attempt']).execute()
    await db.schema.createIndex('evidence_by_depot').on('evidence').columns(['depot_id', 'stored_ms']).execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('evidence').execute()
  },
}
