import type { Migration } from '../db'

/**
 * Charges of the customer's payment code (付款码) the courier scanned, as the device follows them. The code itself
 * is never stored, only its first two and last four digits: the backend holds the charge, and a device restarted
 * mid-charge learns its end from the stream (by intent) or by asking for its number.
 */
export default {
  id: '1796800000000_charges',
  sql: `
    CREATE TABLE charges (
      local_id INTEGER PRIMARY KEY AUTOINCREMENT,
      order_id TEXT NOT NULL,
      intent_id TEXT NOT NULL,
      charge_no TEXT,
      state TEXT NOT NULL,
      failure TEXT,
      limit_fen INTEGER,
      code_masked TEXT NOT NULL,
      amount_fen INTEGER NOT NULL,
      deadline_at TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE INDEX charges_by_order ON charges (order_id, local_id);
    CREATE INDEX charges_by_intent ON charges (intent_id, local_id);
  `,
} satisfies Migration
