import type { Kysely, Migration } from 'kysely'

/**
 * Each courier's target for a day, when the supervisor set one (the route's size otherwise): per courier and per
 * day, since routes differ day to day. Who set it and when are kept; clearing it deletes the row.
 */
export const courierTargets: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('courier_targets')
      .addColumn('depot_id', 'text', (col) => col.notNull())
      .addColumn('courier_id', 'text', (col) => col.notNull())
      .addColumn('route_date', 'text', (col) => col.notNull())
      .addColumn('target', 'integer', (col) => col.notNull())
      .addColumn('set_by', 'text', (col) => col.notNull())
      .addColumn('set_ms', 'bigint', (col) => col.notNull())
      .addPrimaryKeyConstraint('courier_targets_pk', ['depot_id', 'route_date', 'courier_id'])
      .execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('courier_targets').execute()
  },
}
