import type { Migration } from '../db'

/**
 * The route as the courier walks it (a stop skipped for now, and why) and the calls made to customers through a
 * virtual number, kept as evidence of the attempt.
 */
export default {
  id: '1796300000000_route_and_calls',
  sql: `
ALTER TABLE stops ADD COLUMN skipped_reason TEXT;
CREATE TABLE call_attempts (
  id INTEGER PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders (order_id),
  attempt INTEGER NOT NULL,
  binding_id TEXT NOT NULL,
  number TEXT NOT NULL,
  at TEXT NOT NULL
) STRICT;
CREATE INDEX call_attempts_by_order ON call_attempts (order_id, attempt);
`,
} satisfies Migration
