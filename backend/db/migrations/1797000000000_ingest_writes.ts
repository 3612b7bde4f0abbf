import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely'

const onPostgres = (db: Kysely<unknown>): boolean => db.getExecutor().adapter instanceof PostgresAdapter

/**
 * Cheaper writes for every ingest batch (DESIGN section 8, measured in `bench/fleet`).
 * - `orders_depot_day` no longer holds `status`: a delivery changes only columns no index holds, so on PostgreSQL
 *   the update is HOT (no new entry in any of the orders' five indexes) when the new row version fits on its page.
 *   A route's orders sit on the same few pages and one batch delivers dozens of them, so each page keeps half its
 *   room free (fillfactor 50; at 80, a batch of 40 found room for 10). The dashboard's stop counts read `status`
 *   from the row instead of the index.
 * - On PostgreSQL, the device events' and delivery attempts' foreign keys go: they checked, row by row, what the
 *   batch's transaction already holds locked (the pushing device's row, updated first; each order an attempt is
 *   for, read `for update`), and neither devices nor orders are ever deleted. They were a third of the cost of
 *   inserting those rows. SQLite keeps them (its ingest is far inside its bar, and it has no DROP CONSTRAINT).
 */
export const ingestWrites: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('orders_depot_day').execute()
    await db.schema
      .createIndex('orders_depot_day')
      .on('orders')
      .columns(['depot_id', 'route_date', 'courier_id', 'stop_id'])
      .execute()
    if (onPostgres(db)) {
      await sql`alter table orders set (fillfactor = 50)`.execute(db)
      await sql`alter table device_events drop constraint if exists device_events_device_id_fkey`.execute(db)
      await sql`alter table delivery_attempts drop constraint if exists delivery_attempts_order_id_fkey`.execute(db)
    }
  },

  async down(db: Kysely<unknown>): Promise<void> {
    if (onPostgres(db)) {
      await sql`alter table delivery_attempts add constraint delivery_attempts_order_id_fkey
        foreign key (order_id) references orders (id)`.execute(db)
      await sql`alter table device_events add constraint device_events_device_id_fkey
        foreign key (device_id) references devices (id)`.execute(db)
      await sql`alter table orders reset (fillfactor)`.execute(db)
    }
    await db.schema.dropIndex('orders_depot_day').execute()
    await db.schema
      .createIndex('orders_depot_day')
      .on('orders')
      .columns(['depot_id', 'route_date', 'courier_id', 'stop_id', 'status'])
      .execute()
  },
}
