import type { Kysely, Migration } from 'kysely'

/**
 * The depot's work queue: how a supervisor closed each item that needed them (resolved with a note, marked as
 * owed by the courier, the order reassigned), who did it and when. Rows are only ever added, so the resolved
 * items stay as the audit view; an item is open while it has no row here.
 */
export const attentionResolutions: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('attention_resolutions')
      .addColumn('depot_id', 'text', (col) => col.notNull())
      .addColumn('item_id', 'text', (col) => col.notNull())
      .addColumn('route_date', 'text', (col) => col.notNull())
      .addColumn('kind', 'text', (col) => col.notNull())
      .addColumn('action', 'text', (col) => col.notNull())
      .addColumn('note', 'text', (col) => col.notNull())
      .addColumn('courier_id', 'text')
      .addColumn('amount_fen', 'bigint')
      .addColumn('supervisor_id', 'text', (col) => col.notNull())
      .addColumn('resolved_ms', 'bigint', (col) => col.notNull())
      .addPrimaryKeyConstraint('attention_resolutions_pk', ['depot_id', 'item_id'])
      .execute()
    await db.schema
      .createIndex('attention_resolutions_day')
      .on('attention_resolutions')
      .columns(['depot_id', 'route_date'])
      .execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('attention_resolutions').execute()
  },
}
