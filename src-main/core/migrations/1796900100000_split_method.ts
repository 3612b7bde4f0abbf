import type { Migration } from '../db'

/**
 * A delivery can be completed as a split (part digital, the rest in cash): `orders.method` takes `split`. SQLite
 * cannot change a CHECK in place, so the table is rebuilt with the same columns and indexes. Foreign keys are
 * deferred for the transaction: the rows that reference orders point at the rebuilt table by the time it commits.
 */
export default {
  id: '1796900100000_split_method',
  sql: `
PRAGMA defer_foreign_keys = ON;
CREATE TABLE orders_rebuilt (
  order_id TEXT PRIMARY KEY,
  shift_id TEXT NOT NULL REFERENCES shifts (shift_id),
  stop_id TEXT NOT NULL REFERENCES stops (stop_id),
  position INTEGER NOT NULL,
  waybill TEXT NOT NULL,
  cod_fen INTEGER NOT NULL CHECK (cod_fen >= 0),
  masked_name TEXT NOT NULL,
  masked_phone TEXT NOT NULL,
  address TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled', 'reassigned')),
  attempt INTEGER NOT NULL CHECK (attempt >= 1),
  method TEXT CHECK (method IN ('digital', 'cash', 'prepaid', 'split')),
  collected_fen INTEGER CHECK (collected_fen >= 0),
  failure_reason TEXT,
  closed_at TEXT
) STRICT;
INSERT INTO orders_rebuilt SELECT order_id, shift_id, stop_id, position, waybill, cod_fen, masked_name, masked_phone,
  address, status, attempt, method, collected_fen, failure_reason, closed_at FROM orders;
DROP TABLE orders;
ALTER TABLE orders_rebuilt RENAME TO orders;
CREATE INDEX orders_by_shift ON orders (shift_id, status);
CREATE INDEX orders_by_waybill ON orders (waybill);
`,
} satisfies Migration
