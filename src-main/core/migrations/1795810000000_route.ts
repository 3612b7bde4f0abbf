import type { Migration } from '../db'

/**
 * The device's picture of the courier's day: enrollment, shifts, the manifest (stops, orders, parcels, the
 * pre-created intents), what the depot must put right (flags, settlements) and the sync engine's cursors.
 */
export default {
  id: '1795810000000_route',
  sql: `
CREATE TABLE device (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  device_id TEXT NOT NULL,
  depot_id TEXT NOT NULL,
  depot_name TEXT NOT NULL,
  label TEXT,
  enrolled_at TEXT NOT NULL
) STRICT;

CREATE TABLE shifts (
  shift_id TEXT PRIMARY KEY,
  courier_id TEXT NOT NULL,
  staff_id TEXT NOT NULL,
  courier_name TEXT NOT NULL,
  depot_id TEXT NOT NULL,
  started_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  unverified_per_order_fen INTEGER NOT NULL,
  unverified_per_shift_fen INTEGER NOT NULL,
  route_date TEXT,
  manifest_version INTEGER,
  manifest_generated_at TEXT,
  acquirer_id TEXT,
  receipt_public_key TEXT,
  declared_cash_fen INTEGER CHECK (declared_cash_fen >= 0),
  declared_at TEXT,
  closed_at TEXT
) STRICT;

CREATE TABLE stops (
  stop_id TEXT PRIMARY KEY,
  shift_id TEXT NOT NULL REFERENCES shifts (shift_id),
  sequence INTEGER NOT NULL,
  address TEXT NOT NULL
) STRICT;
CREATE INDEX stops_by_shift ON stops (shift_id, sequence);

CREATE TABLE orders (
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
  method TEXT CHECK (method IN ('digital', 'cash', 'prepaid')),
  collected_fen INTEGER CHECK (collected_fen >= 0),
  failure_reason TEXT,
  closed_at TEXT
) STRICT;
CREATE INDEX orders_by_shift ON orders (shift_id, status);
CREATE INDEX orders_by_waybill ON orders (waybill);

CREATE TABLE parcels (
  parcel_id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders (order_id),
  barcode TEXT NOT NULL,
  idx INTEGER NOT NULL,
  count INTEGER NOT NULL,
  scanned_at TEXT
) STRICT;
CREATE INDEX parcels_by_barcode ON parcels (barcode);
CREATE INDEX parcels_by_order ON parcels (order_id, idx);

CREATE TABLE intents (
  intent_id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders (order_id),
  attempt INTEGER NOT NULL,
  amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
  qr_payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'expired', 'cancelled')),
  expires_at TEXT NOT NULL,
  paid_at TEXT,
  paid_fen INTEGER,
  transaction_id TEXT,
  shown_at TEXT,
  cancelled_at TEXT,
  is_current INTEGER NOT NULL DEFAULT 1 CHECK (is_current IN (0, 1))
) STRICT;
CREATE INDEX intents_by_order ON intents (order_id, is_current);

CREATE TABLE order_flags (
  flag_id INTEGER PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders (order_id),
  kind TEXT NOT NULL,
  intent_id TEXT,
  amount_fen INTEGER NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('device', 'backend')),
  raised_at TEXT NOT NULL,
  UNIQUE (order_id, kind, intent_id, source)
) STRICT;

CREATE TABLE settlements (
  intent_id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  verdict TEXT NOT NULL,
  transaction_id TEXT,
  received_at TEXT NOT NULL
) STRICT;

CREATE TABLE sync_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
`,
} satisfies Migration
