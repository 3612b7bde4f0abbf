import { sql, type Kysely, type Migration } from 'kysely'

/**
 * The courier's time, corrected and bounded (`backend/events/courier-time.ts`): a device event's `occurred_at`
 * and `occurred_ms` become the time the backend counts (the device's reading plus the offset it had measured to
 * the backend's clock, kept between the shift's start and the time of receipt), and the event keeps what the
 * device sent: `device_occurred_at` (its clock reading, as sent) and `clock_offset_ms` (null when it had never
 * measured one), with `time_flag` saying when the time had to be moved to a bound. Events already held were
 * counted by the device's reading, which they keep. A device keeps its latest measured offset (from an event
 * or a heartbeat) for the depot's devices view.
 */
export const courierTime: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('device_events').addColumn('device_occurred_at', 'text').execute()
    await db.schema.alterTable('device_events').addColumn('clock_offset_ms', 'bigint').execute()
    await db.schema.alterTable('device_events').addColumn('time_flag', 'text').execute()
    await sql`update device_events set device_occurred_at = occurred_at`.execute(db)
    await db.schema
      .createIndex('device_events_time_flag')
      .on('device_events')
      .column('shift_id')
      .where(sql.ref('time_flag'), 'is not', null)
      .execute()
    await db.schema.alterTable('devices').addColumn('clock_offset_ms', 'bigint').execute()
    await db.schema.alterTable('devices').addColumn('clock_measured_ms', 'bigint').execute()
    await db.schema.alterTable('devices').addColumn('clock_source', 'text').execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('device_events_time_flag').execute()
    for (const column of ['device_occurred_at', 'clock_offset_ms', 'time_flag']) {
      await db.schema.alterTable('device_events').dropColumn(column).execute()
    }
    for (const column of ['clock_offset_ms', 'clock_measured_ms', 'clock_source']) {
      await db.schema.alterTable('devices').dropColumn(column).execute()
    }
  },
}
