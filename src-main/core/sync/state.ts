import type { DeviceDb } from '../db'

/** The sync engine's durable marks: the stream cursor, the last successful sync, the measured clock offset. */
export type SyncStateKey = 'stream_cursor' | 'last_sync_at' | 'clock_offset_ms' | 'clock_offset_uncertainty_ms'

export function readSyncState(db: DeviceDb, key: SyncStateKey): string | null {
  return db.get<{ value: string }>('SELECT value FROM sync_state WHERE key = ?', [key])?.value ?? null
}

export function writeSyncState(db: DeviceDb, key: SyncStateKey, value: string): void {
  db.run('INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [
    key,
    value,
  ])
}
