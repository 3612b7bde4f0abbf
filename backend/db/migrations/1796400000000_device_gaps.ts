import type { Kysely, Migration } from 'kysely'

/**
 * Sequences a device could no longer send (its copies were pruned before the backend, restored from an older
 * backup, asked for them again): the batch after them was accepted past the gap, and the gap is kept here for the
 * depot, once per device and start.
 */
export const deviceGaps: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('device_gaps')
      .addColumn('device_id', 'text', (col) => col.notNull())
      .addColumn('from_seq', 'integer', (col) => col.notNull())
      .addColumn('to_seq', 'integer', (col) => col.notNull())
      .addColumn('depot_id', 'text', (col) => col.notNull())
      .addColumn('recorded_ms', 'bigint', (col) => col.notNull())
      .addPrimaryKeyConstraint('device_gaps_pk', ['device_id', 'from_seq'])
      .execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('device_gaps').execute()
  },
}
