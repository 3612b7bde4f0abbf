import { join } from 'node:path'
import Database from 'better-sqlite3'

export interface OutboxRecord {
  seq: number
  eventId: string
  type: string
  state: 'pending' | 'acked' | 'rejected'
  reason: string | null
  occurredAt: string
}

/**
 * What a terminal holds, read straight from its SQLite file (read-only, beside the running core): its outbox and
 * its device ID, to compare with what the backend applied.
 */
export class DeviceRecords {
  private readonly file: string

  /** `dataDir` is the terminal's data folder (`--data`), holding `device.sqlite`. */
  constructor(dataDir: string) {
    this.file = join(dataDir, 'device.sqlite')
  }

  private read<T>(work: (db: Database.Database) => T): T {
    const db = new Database(this.file, { readonly: true, fileMustExist: true })
    try {
      return work(db)
    } finally {
      db.close()
    }
  }

  deviceId(): string {
    return this.read((db) => (db.prepare('SELECT device_id FROM device').get() as { device_id: string }).device_id)
  }

  outbox(): OutboxRecord[] {
    return this.read((db) =>
      db
        .prepare(
          `SELECT seq, event_id AS eventId, type, state, reason, occurred_at AS occurredAt FROM outbox ORDER BY seq`,
        )
        .all(),
    ) as OutboxRecord[]
  }

  lastSeq(): number {
    return this.read(
      (db) => (db.prepare('SELECT last_seq FROM outbox_sequence').get() as { last_seq: number }).last_seq,
    )
  }
}
