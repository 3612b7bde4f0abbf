import type { Migration } from '../db'

/**
 * When the courier acknowledged a refused event: it leaves their "needs attention" list, but the row stays in the
 * outbox, refused and never pruned (the depot has its own record of the refusal).
 */
export default {
  id: '1796000000000_rejected_seen',
  sql: `ALTER TABLE outbox ADD COLUMN acknowledged_at TEXT;`,
} satisfies Migration
