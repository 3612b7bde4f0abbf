import type { Migration } from '../db'

/**
 * Split payments: part digital through an intent of its own, the rest in cash. The row is written before the
 * backend is asked, so a retry after a crash reuses the split's key (one split, one intent); `intent_id` is the
 * part's intent once the backend answered. It outlives a restart: a split whose part was paid resumes with the
 * cash rest to take.
 */
export default {
  id: '1796900000000_splits',
  sql: `
    CREATE TABLE splits (
      order_id TEXT PRIMARY KEY,
      split_key TEXT NOT NULL,
      digital_fen INTEGER NOT NULL CHECK (digital_fen > 0),
      intent_id TEXT,
      requested_at TEXT NOT NULL
    );
  `,
} satisfies Migration
