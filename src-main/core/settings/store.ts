import { Settings, type SettingsPatch } from '../../../shared/ipc/contract'
import type { DeviceDb } from '../db'

export const defaultSettings = (backendUrl: string): Settings => ({
  locale: 'system',
  backendUrl,
  cameraTriggerKey: 'F8',
  scanTriggerKey: 'F9',
  announcePayments: true,
  volume: 80,
})

/** Reads the stored settings over the defaults; a stored value that no longer validates falls back. */
export function readSettings(db: DeviceDb, defaults: Settings): Settings {
  const stored: Record<string, unknown> = {}
  for (const row of db.all<{ key: string; value: string }>('SELECT key, value FROM settings')) {
    stored[row.key] = JSON.parse(row.value)
  }
  const merged: Record<string, unknown> = { ...defaults }
  for (const key of Object.keys(defaults) as (keyof Settings)[]) {
    if (key in stored) {
      const field = Settings.shape[key].safeParse(stored[key])
      if (field.success) merged[key] = field.data
    }
  }
  return Settings.parse(merged)
}

export function writeSettings(db: DeviceDb, patch: SettingsPatch): void {
  db.transaction(() => {
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue
      db.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [
        key,
        JSON.stringify(value),
      ])
    }
  })
}
