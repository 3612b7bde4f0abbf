import type { Migration } from '../db'

/**
 * Evidence files (issue 14): each photo or signature stored under the data folder's `evidence/`, bound by its
 * SHA-256 to its outbox event; whether the backend confirmed it (then the device's copy is deleted), and the
 * orphans found at start (a file without its event, an event without its file), kept for the record.
 */
export default {
  id: '1796810000000_evidence',
  sql: `
CREATE TABLE evidence (
  evidence_id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders (order_id),
  attempt INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('photo', 'signature')),
  mime TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  file TEXT NOT NULL,
  captured_at TEXT NOT NULL,
  event_id TEXT NOT NULL,
  uploaded_at TEXT,
  file_deleted_at TEXT,
  missing_at TEXT
) STRICT;
CREATE INDEX evidence_by_order ON evidence (order_id, attempt);
CREATE INDEX evidence_to_upload ON evidence (uploaded_at, missing_at);
CREATE TABLE evidence_orphans (
  name TEXT PRIMARY KEY,
  problem TEXT NOT NULL CHECK (problem IN ('file_without_event', 'event_without_file')),
  bytes INTEGER NOT NULL,
  found_at TEXT NOT NULL
) STRICT;
`,
} satisfies Migration
