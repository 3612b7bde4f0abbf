import type { Migration } from '../db'

export default {
  id: '1795724400000_outbox',
  sql: `
CREATE TABLE outbox_sequence (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq INTEGER NOT NULL
) STRICT;
INSERT INTO outbox_sequence (id, last_seq) VALUES (1, 0);

CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  shift_id TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'acked', 'rejected')),
  reason TEXT,
  settled_at TEXT
) STRICT;
CREATE INDEX outbox_by_state ON outbox (state, seq);
`,
} satisfies Migration
