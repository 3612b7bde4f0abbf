import type { Migration } from '../db'

/**
 * Proof of delivery: each order's policy and delivery-code check from the manifest, the handover the courier
 * chose, every try at the code (so the limit survives a restart), and an override with its reason.
 */
export default {
  id: '1796600000000_proof',
  sql: `
CREATE TABLE order_proof (
  order_id TEXT PRIMARY KEY REFERENCES orders (order_id),
  policy TEXT NOT NULL,
  code_check TEXT,
  held_tries INTEGER NOT NULL DEFAULT 0,
  held_verified INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE proof_handover (
  order_id TEXT NOT NULL REFERENCES orders (order_id),
  attempt INTEGER NOT NULL,
  handover TEXT NOT NULL,
  PRIMARY KEY (order_id, attempt)
) STRICT;
CREATE TABLE proof_code_tries (
  order_id TEXT NOT NULL REFERENCES orders (order_id),
  attempt INTEGER NOT NULL,
  try INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (order_id, attempt, try)
) STRICT;
CREATE TABLE proof_overrides (
  order_id TEXT NOT NULL REFERENCES orders (order_id),
  attempt INTEGER NOT NULL,
  reason TEXT NOT NULL,
  note TEXT,
  waived TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (order_id, attempt)
) STRICT;
`,
} satisfies Migration
