import type { Migration } from '../db'

/**
 * When the depot closed a flag on its work queue: it leaves the courier's "needs attention" list; the flag stays
 * on the order and in the shift's summary.
 */
export default {
  id: '1796700000000_flag_resolved',
  sql: `ALTER TABLE order_flags ADD COLUMN resolved_at TEXT;`,
} satisfies Migration
