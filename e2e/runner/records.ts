import Database from 'better-sqlite3'

/**
 * What the backend and the terminal hold after a round, read straight from their SQLite files (read-only, beside
 * the running processes; WAL lets a reader in). No API answers "was this applied exactly once", so the round
 * checks the tables themselves.
 */

function readOnly<T>(file: string, work: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    return work(db)
  } finally {
    db.close()
  }
}

export interface BackendOrder {
  orderId: string
  waybill: string
  status: string
  deliveredMethod: string | null
  failureReason: string | null
  attempts: { outcome: string; method: string | null; collectedFen: number; failureReason: string | null }[]
  payments: { transactionId: string; amountFen: number; outcome: string }[]
  flags: { kind: string; amountFen: number }[]
  settlements: { kind: string; status: string; claimedFen: number }[]
  /** How the device said it learned of the payment: push, poll or receipt. */
  confirmedVia: string | null
  /** Charges of the customer's payment code, oldest first: `paid`, `revoked`, `failed:<reason>`, or still open. */
  charges: string[]
}

export interface DeviceEventRow {
  seq: number
  eventId: string
  type: string
  status: string
  reason: string | null
}

/** The backend's records for one round's route. */
export class BackendRecords {
  constructor(readonly file: string) {}

  /** The one device of a round's fresh backend, and the highest sequence the backend holds for it. */
  /** The highest sequence the backend holds for one device (0 before its first event). */
  ackedSeqOf(deviceId: string): number {
    return readOnly(
      this.file,
      (db) =>
        (db.prepare('SELECT acked_seq FROM devices WHERE id = ?').get(deviceId) as { acked_seq: number } | undefined)
          ?.acked_seq ?? 0,
    )
  }

  device(): { deviceId: string; ackedSeq: number } | null {
    return readOnly(this.file, (db) => {
      const row = db.prepare('SELECT id, acked_seq FROM devices ORDER BY enrolled_at DESC LIMIT 1').get() as
        { id: string; acked_seq: number } | undefined
      return row ? { deviceId: row.id, ackedSeq: row.acked_seq } : null
    })
  }

  /** Every order of the round, by waybill, with its attempts, payments, flags and settlements. */
  orders(): Map<string, BackendOrder> {
    return readOnly(this.file, (db) => {
      const orders = new Map<string, BackendOrder>()
      const byId = new Map<string, BackendOrder>()
      const rows = db
        .prepare('SELECT id, waybill, status, delivered_method, failure_reason FROM orders ORDER BY position')
        .all() as {
        id: string
        waybill: string
        status: string
        delivered_method: string | null
        failure_reason: string | null
      }[]
      for (const row of rows) {
        const order: BackendOrder = {
          orderId: row.id,
          waybill: row.waybill,
          status: row.status,
          deliveredMethod: row.delivered_method,
          failureReason: row.failure_reason,
          attempts: [],
          payments: [],
          flags: [],
          settlements: [],
          confirmedVia: null,
          charges: [],
        }
        orders.set(row.waybill, order)
        byId.set(row.id, order)
      }
      const each = <T extends { order_id: string }>(sql: string, add: (order: BackendOrder, row: T) => void): void => {
        for (const row of db.prepare(sql).all() as T[]) {
          const order = byId.get(row.order_id)
          if (order) add(order, row)
        }
      }
      each<{
        order_id: string
        outcome: string
        method: string | null
        collected_fen: number
        failure_reason: string | null
      }>(
        'SELECT order_id, outcome, method, collected_fen, failure_reason FROM delivery_attempts ORDER BY attempt',
        (order, row) =>
          order.attempts.push({
            outcome: row.outcome,
            method: row.method,
            collectedFen: row.collected_fen,
            failureReason: row.failure_reason,
          }),
      )
      each<{ order_id: string; transaction_id: string; amount_fen: number; outcome: string }>(
        'SELECT order_id, transaction_id, amount_fen, outcome FROM payments ORDER BY paid_ms',
        (order, row) =>
          order.payments.push({ transactionId: row.transaction_id, amountFen: row.amount_fen, outcome: row.outcome }),
      )
      each<{ order_id: string; kind: string; amount_fen: number }>(
        'SELECT order_id, kind, amount_fen FROM flags ORDER BY created_ms',
        (order, row) => order.flags.push({ kind: row.kind, amountFen: row.amount_fen }),
      )
      each<{ order_id: string; kind: string; status: string; claimed_fen: number }>(
        'SELECT order_id, kind, status, claimed_fen FROM settlements ORDER BY created_ms',
        (order, row) => order.settlements.push({ kind: row.kind, status: row.status, claimedFen: row.claimed_fen }),
      )
      each<{ order_id: string; status: string; failure: string | null }>(
        'SELECT order_id, status, failure FROM charges ORDER BY created_ms, rowid',
        (order, row) => order.charges.push(row.status === 'failed' ? `failed:${row.failure ?? 'unknown'}` : row.status),
      )
      each<{ order_id: string; payload: string }>(
        `SELECT order_id, payload FROM device_events WHERE type = 'payment.confirmed' AND status = 'applied' ORDER BY seq`,
        (order, row) => {
          order.confirmedVia = (JSON.parse(row.payload) as { via?: string }).via ?? null
        },
      )
      return orders
    })
  }

  /** The device events the backend holds for a device, by sequence. */
  deviceEvents(deviceId: string): DeviceEventRow[] {
    return readOnly(this.file, (db) =>
      (
        db
          .prepare('SELECT seq, event_id, type, status, reason FROM device_events WHERE device_id = ? ORDER BY seq')
          .all(deviceId) as { seq: number; event_id: string; type: string; status: string; reason: string | null }[]
      ).map((row) => ({ seq: row.seq, eventId: row.event_id, type: row.type, status: row.status, reason: row.reason })),
    )
  }

  /** Settlements still waiting for the acquirer's word. */
  pendingSettlements(): number {
    return readOnly(
      this.file,
      (db) => (db.prepare(`SELECT COUNT(*) AS n FROM settlements WHERE status = 'pending'`).get() as { n: number }).n,
    )
  }

  cashDeclarations(): number[] {
    return readOnly(this.file, (db) =>
      (db.prepare('SELECT declared_fen FROM cash_declarations ORDER BY seq').all() as { declared_fen: number }[]).map(
        (row) => row.declared_fen,
      ),
    )
  }
}

export interface OutboxRow {
  seq: number
  eventId: string
  type: string
  state: string
  reason: string | null
}

/** The terminal's own store (`device.sqlite` in its data folder): its outbox, as the device core wrote it. */
export class DeviceRecords {
  constructor(readonly file: string) {}

  /** The device's ID as enrolled, or null before enrollment. */
  deviceId(): string | null {
    return readOnly(
      this.file,
      (db) =>
        (db.prepare('SELECT device_id FROM device WHERE id = 1').get() as { device_id: string } | undefined)
          ?.device_id ?? null,
    )
  }

  lastSeq(): number {
    return readOnly(
      this.file,
      (db) => (db.prepare('SELECT last_seq FROM outbox_sequence WHERE id = 1').get() as { last_seq: number }).last_seq,
    )
  }

  /** The refund flags the terminal holds, raised by itself or pushed by the backend, by waybill. */
  flags(): { waybill: string; kind: string; source: string }[] {
    return readOnly(
      this.file,
      (db) =>
        db
          .prepare('SELECT o.waybill, f.kind, f.source FROM order_flags f JOIN orders o ON o.order_id = f.order_id')
          .all() as { waybill: string; kind: string; source: string }[],
    )
  }

  outbox(): OutboxRow[] {
    return readOnly(this.file, (db) =>
      (
        db.prepare('SELECT seq, event_id, type, state, reason FROM outbox ORDER BY seq').all() as {
          seq: number
          event_id: string
          type: string
          state: string
          reason: string | null
        }[]
      ).map((row) => ({ seq: row.seq, eventId: row.event_id, type: row.type, state: row.state, reason: row.reason })),
    )
  }
}
