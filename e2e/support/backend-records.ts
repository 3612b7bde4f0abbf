import Database from 'better-sqlite3'

/**
 * What the backend holds, read straight from its SQLite file (read-only, beside the running backend: WAL lets a
 * reader in). Tests use it to check that something was recorded exactly once, which no API answers directly.
 */
export class BackendRecords {
  constructor(private readonly file: string) {}

  private read<T>(work: (db: Database.Database) => T): T {
    const db = new Database(this.file, { readonly: true, fileMustExist: true })
    try {
      return work(db)
    } finally {
      db.close()
    }
  }

  orderId(waybill: string): string {
    return this.read((db) => (db.prepare('SELECT id FROM orders WHERE waybill = ?').get(waybill) as { id: string }).id)
  }

  order(waybill: string) {
    return this.read((db) =>
      db
        .prepare('SELECT status, delivered_method, collected_cash_fen, failure_reason FROM orders WHERE waybill = ?')
        .get(waybill),
    ) as { status: string; delivered_method: string | null; collected_cash_fen: number; failure_reason: string | null }
  }

  attempts(waybill: string) {
    return this.read((db) =>
      db
        .prepare(
          `SELECT a.outcome, a.method, a.collected_fen, a.failure_reason FROM delivery_attempts a
           JOIN orders o ON o.id = a.order_id WHERE o.waybill = ? ORDER BY a.attempt`,
        )
        .all(waybill),
    ) as { outcome: string; method: string | null; collected_fen: number; failure_reason: string | null }[]
  }

  payments(waybill: string) {
    return this.read((db) =>
      db
        .prepare(
          `SELECT p.amount_fen, p.outcome FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.waybill = ?`,
        )
        .all(waybill),
    ) as { amount_fen: number; outcome: string }[]
  }

  /** The device events the backend applied for an order, by type. */
  events(waybill: string) {
    return this.read((db) =>
      db
        .prepare(
          `SELECT e.type, e.payload, e.status FROM device_events e JOIN orders o ON o.id = e.order_id
           WHERE o.waybill = ? ORDER BY e.seq`,
        )
        .all(waybill),
    ) as { type: string; payload: string; status: string }[]
  }

  /** Charges of customers' payment codes (付款码), oldest first. */
  charges() {
    return this.read((db) =>
      db
        .prepare(
          `SELECT c.charge_no, c.status, c.failure, c.limit_fen, c.amount_fen, c.code_masked, c.queries, o.waybill
           FROM charges c JOIN orders o ON o.id = c.order_id ORDER BY c.created_ms, c.rowid`,
        )
        .all(),
    ) as {
      charge_no: string
      status: string
      failure: string | null
      limit_fen: number | null
      amount_fen: number
      code_masked: string
      queries: number
      waybill: string
    }[]
  }

  refusedScans() {
    return this.read((db) =>
      db.prepare(`SELECT payload FROM device_events WHERE type = 'scan.refused' ORDER BY seq`).all(),
    ).map((row) => JSON.parse((row as { payload: string }).payload) as { code: string; reason: string; source: string })
  }

  flags(waybill: string) {
    return this.read((db) =>
      db
        .prepare(`SELECT f.kind, f.amount_fen FROM flags f JOIN orders o ON o.id = f.order_id WHERE o.waybill = ?`)
        .all(waybill),
    ) as { kind: string; amount_fen: number }[]
  }

  cashDeclarations(): number[] {
    return this.read((db) => db.prepare('SELECT declared_fen FROM cash_declarations ORDER BY seq').all()).map(
      (row) => (row as { declared_fen: number }).declared_fen,
    )
  }

  /**
   * Every event the backend holds for a device, in sequence order: `occurredAt` as the device sent it (its own
   * clock), `courierAt` the courier's time the backend counts (corrected by the device's offset, bounded by the
   * shift and the receipt, `timeFlag` when moved to a bound).
   */
  deviceEvents(deviceId: string) {
    return this.read((db) =>
      db
        .prepare(
          `SELECT seq, event_id AS eventId, type, status, reason, COALESCE(device_occurred_at, occurred_at) AS occurredAt,
             occurred_at AS courierAt, time_flag AS timeFlag, received_ms AS receivedMs
           FROM device_events WHERE device_id = ? ORDER BY seq`,
        )
        .all(deviceId),
    ) as {
      seq: number
      eventId: string
      type: string
      status: string
      reason: string | null
      occurredAt: string
      courierAt: string
      timeFlag: string | null
      receivedMs: number
    }[]
  }

  /** The highest sequence the backend holds for a device. */
  ackedSeq(deviceId: string): number {
    return this.read(
      (db) =>
        (db.prepare('SELECT acked_seq FROM devices WHERE id = ?').get(deviceId) as { acked_seq: number }).acked_seq,
    )
  }

  /** What the backend counts for a courier's deliveries, as the shift summary counts them on the terminal. */
  totals(staffId: string) {
    return this.read((db) =>
      db
        .prepare(
          `SELECT
             COALESCE(SUM(a.outcome = 'delivered'), 0) AS delivered,
             COALESCE(SUM(a.outcome = 'failed'), 0) AS failed,
             COALESCE(SUM(CASE WHEN a.method = 'digital' THEN a.collected_fen ELSE 0 END), 0) AS digitalFen,
             COALESCE(SUM(CASE WHEN a.method = 'cash' THEN a.collected_fen ELSE 0 END), 0) AS cashFen
           FROM delivery_attempts a JOIN orders o ON o.id = a.order_id
           JOIN couriers c ON c.id = o.courier_id WHERE c.staff_id = ?`,
        )
        .get(staffId),
    ) as { delivered: number; failed: number; digitalFen: number; cashFen: number }
  }

  /** The backend's verdicts on device claims about payments, by waybill. */
  settlements(waybill: string) {
    return this.read((db) =>
      db
        .prepare(
          `SELECT s.kind, s.status, s.claimed_fen FROM settlements s JOIN orders o ON o.id = s.order_id
           WHERE o.waybill = ?`,
        )
        .all(waybill),
    ) as { kind: string; status: string; claimed_fen: number }[]
  }

  /** When each recorded delivery attempt happened, by the courier's time the backend counts, in sequence order. */
  attemptTimes(deviceId: string): { seq: number; occurredAt: string }[] {
    return this.read((db) =>
      db
        .prepare('SELECT seq, occurred_at AS occurredAt FROM delivery_attempts WHERE device_id = ? ORDER BY seq')
        .all(deviceId),
    ) as { seq: number; occurredAt: string }[]
  }

  /** Every delivery attempt recorded, whoever made it. */
  attemptCount(): number {
    return this.read((db) => (db.prepare('SELECT COUNT(*) AS n FROM delivery_attempts').get() as { n: number }).n)
  }

  /** How many shifts the devices have said were closed. */
  shiftsClosed(): number {
    return this.read(
      (db) =>
        (db.prepare(`SELECT COUNT(*) AS n FROM device_events WHERE type = 'shift.closed'`).get() as { n: number }).n,
    )
  }

  /** Where the order's stop sits in the route the backend holds, and why it was skipped, if it was. */
  stop(waybill: string): { sequence: number; skipped_reason: string | null } {
    return this.read((db) =>
      db
        .prepare(
          `SELECT s.sequence, s.skipped_reason FROM stops s JOIN orders o ON o.stop_id = s.id WHERE o.waybill = ?`,
        )
        .get(waybill),
    ) as { sequence: number; skipped_reason: string | null }
  }

  /** The customer's own number, which only the backend holds. */
  recipientPhone(waybill: string): string {
    return this.read(
      (db) =>
        (db.prepare('SELECT recipient_phone FROM orders WHERE waybill = ?').get(waybill) as { recipient_phone: string })
          .recipient_phone,
    )
  }

  /** The virtual numbers bound for the order's customer. */
  callBindings(waybill: string): { number: string; provider: string }[] {
    return this.read((db) =>
      db
        .prepare(
          `SELECT b.number, b.provider FROM call_bindings b JOIN orders o ON o.id = b.order_id WHERE o.waybill = ?
           ORDER BY b.created_ms`,
        )
        .all(waybill),
    ) as { number: string; provider: string }[]
  }
}
