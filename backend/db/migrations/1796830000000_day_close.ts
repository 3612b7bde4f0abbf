import type { Kysely, Migration } from 'kysely'

/**
 * Day close (日结): a courier's day closed by a supervisor, with the figures frozen as they were closed and their
 * checksum (`day_closes`, never updated or deleted); events for a closed day that arrived after the close
 * (`day_late_events`, one row per device event); and the denomination count of a cash hand-in.
 */
export const dayClose: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('day_closes')
      .addColumn('depot_id', 'text', (col) => col.notNull())
      .addColumn('route_date', 'text', (col) => col.notNull())
      .addColumn('courier_id', 'text', (col) => col.notNull())
      .addColumn('closed_by', 'text', (col) => col.notNull())
      .addColumn('closed_ms', 'bigint', (col) => col.notNull())
      .addColumn('note', 'text')
      .addColumn('figures', 'text', (col) => col.notNull())
      .addColumn('checksum', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('day_closes_pk', ['depot_id', 'route_date', 'courier_id'])
      .execute()
    await db.schema
      .createTable('day_late_events')
      .addColumn('device_id', 'text', (col) => col.notNull())
      .addColumn('seq', 'bigint', (col) => col.notNull())
      .addColumn('depot_id', 'text', (col) => col.notNull())
      .addColumn('route_date', 'text', (col) => col.notNull())
      .addColumn('courier_id', 'text', (col) => col.notNull())
      .addColumn('type', 'text', (col) => col.notNull())
      .addColumn('order_id', 'text')
      .addColumn('occurred_ms', 'bigint', (col) => col.notNull())
      .addColumn('received_ms', 'bigint', (col) => col.notNull())
      .addPrimaryKeyConstraint('day_late_events_pk', ['device_id', 'seq'])
      .execute()
    await db.schema
      .createIndex('day_late_events_day')
      .on('day_late_events')
      .columns(['depot_id', 'route_date', 'courier_id'])
      .execute()
    await db.schema.alterTable('cash_handins').addColumn('denominations', 'text').execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('cash_handins').dropColumn('denominations').execute()
    await db.schema.dropTable('day_late_events').execute()
    await db.schema.dropTable('day_closes').execute()
  },
}
