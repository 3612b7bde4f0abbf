import type { Kysely, Migration } from 'kysely'

/**
 * Devices the depot retires (`revoked_at` holds when; `retired_by` the supervisor, so the device's next call can
 * say who), and the battery the device reports on its heartbeat (level 0–100, charging 0/1, and the device's
 * time of the reading), which only the device can know.
 */
export const deviceRetire: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('devices').addColumn('retired_by', 'text').execute()
    await db.schema.alterTable('devices').addColumn('battery_level', 'integer').execute()
    await db.schema.alterTable('devices').addColumn('battery_charging', 'integer').execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('devices').dropColumn('battery_charging').execute()
    await db.schema.alterTable('devices').dropColumn('battery_level').execute()
    await db.schema.alterTable('devices').dropColumn('retired_by').execute()
  },
}
