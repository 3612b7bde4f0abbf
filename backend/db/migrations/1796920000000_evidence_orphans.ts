import type { Kysely, Migration } from 'kysely'

/**
 * Evidence orphans devices report on their heartbeat (issue 14): a file no event names, or an evidence event whose
 * file the device lost. One row per device and file name (`evidence_id` is the name without its extension),
 * however often it is reported; the route day and
 * courier are those of the device's shift when the report came, so the day's work queue lists it.
 */
export const evidenceOrphans: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('evidence_orphans')
      .addColumn('device_id', 'text', (col) => col.notNull())
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('evidence_id', 'text', (col) => col.notNull())
      .addColumn('depot_id', 'text', (col) => col.notNull())
      .addColumn('problem', 'text', (col) => col.notNull())
      .addColumn('bytes', 'integer', (col) => col.notNull())
      .addColumn('found_at', 'text', (col) => col.notNull())
      .addColumn('reported_ms', 'bigint', (col) => col.notNull())
      .addColumn('route_date', 'text', (col) => col.notNull())
      .addColumn('courier_id', 'text')
      .addPrimaryKeyConstraint('evidence_orphans_pk', ['device_id', 'name'])
      .execute()
    await db.schema
      .createIndex('evidence_orphans_by_day')
      .on('evidence_orphans')
      .columns(['depot_id', 'route_date'])
      .execute()
    await db.schema
      .createIndex('evidence_orphans_by_evidence')
      .on('evidence_orphans')
      .columns(['evidence_id'])
      .execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('evidence_orphans').execute()
  },
}
