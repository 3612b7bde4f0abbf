import type { Migration } from '../db'

/**
 * Each outbox event keeps the offset to the backend's clock that the device knew when the courier acted (null
 * before it was ever measured), so the backend can put the courier's time in its own.
 */
export default {
  id: '1796200000000_clock_offset',
  sql: `ALTER TABLE outbox ADD COLUMN clock_offset_ms INTEGER;`,
} satisfies Migration
