import { TuotouError } from '../../../shared/errors'
import type { DeviceDb } from '../db'

/** Credential names: the device's bearer token from enrollment, and the courier's token for the shift. */
export const DEVICE_TOKEN = 'device-token'
export const SHIFT_TOKEN = 'shift-token'

export interface DeviceRow {
  device_id: string
  depot_id: string
  depot_name: string
  label: string | null
  enrolled_at: string
}

export function readDevice(db: DeviceDb): DeviceRow | null {
  return (
    db.get<DeviceRow>('SELECT device_id, depot_id, depot_name, label, enrolled_at FROM device WHERE id = 1') ?? null
  )
}

export function saveDevice(db: DeviceDb, device: DeviceRow): void {
  db.run(
    `INSERT INTO device (id, device_id, depot_id, depot_name, label, enrolled_at) VALUES (1, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET device_id = excluded.device_id, depot_id = excluded.depot_id,
       depot_name = excluded.depot_name, label = excluded.label, enrolled_at = excluded.enrolled_at`,
    [device.device_id, device.depot_id, device.depot_name, device.label, device.enrolled_at],
  )
}

/** When the depot retired this device and who did, as stored; null while it is in service. */
export function retirement(ctx: { db: DeviceDb }): { at: string; by: string | null } | null {
  const row = ctx.db.get<{ retired_at: string | null; retired_by: string | null }>(
    'SELECT retired_at, retired_by FROM device WHERE id = 1',
  )
  return row?.retired_at ? { at: row.retired_at, by: row.retired_by } : null
}

/** Refuses a courier action on a retired device, saying when and by whom. */
export function requireInService(ctx: { db: DeviceDb }): void {
  const retired = retirement(ctx)
  if (retired) {
    throw new TuotouError('device.retired', 'this device was retired by the depot; ask your supervisor', {
      retiredAt: retired.at,
      retiredBy: retired.by,
    })
  }
}
