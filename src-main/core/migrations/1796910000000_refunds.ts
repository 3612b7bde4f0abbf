import type { Migration } from '../db'

/**
 * Refunds of the courier's orders as the backend told the device (its stream, or the manifest after a reconnect or
 * a swap): the shift summary counts refunds paid back and still due from them. One row per refund number; a
 * refund that succeeded stays succeeded.
 */
export default {
  id: '1796910000000_refunds',
  sql: `
    CREATE TABLE refunds (
      refund_no TEXT PRIMARY KEY,
      order_id TEXT NOT NULL,
      intent_id TEXT NOT NULL,
      amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
      status TEXT NOT NULL CHECK (status IN ('requested', 'processing', 'succeeded', 'failed')),
      updated_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX refunds_by_order ON refunds (order_id);
  `,
} satisfies Migration
