import type { ShiftInfo } from '../../../shared/ipc/contract'
import type { DeviceDb } from '../db'

export interface ShiftRow {
  shift_id: string
  courier_id: string
  staff_id: string
  courier_name: string
  depot_id: string
  started_at: string
  expires_at: string
  unverified_per_order_fen: number
  unverified_per_shift_fen: number
  route_date: string | null
  manifest_version: number | null
  manifest_generated_at: string | null
  acquirer_id: string | null
  receipt_public_key: string | null
  declared_cash_fen: number | null
  declared_at: string | null
  closed_at: string | null
  undo_window_ms: number
  /** Set when the courier logged in on another terminal: the shift continues there. */
  moved_at: string | null
  moved_to_device: string | null
}

/** The shift under way on this device: the newest one not closed. There is at most one. */
export function openShift(db: DeviceDb): ShiftRow | null {
  return db.get<ShiftRow>('SELECT * FROM shifts WHERE closed_at IS NULL ORDER BY started_at DESC LIMIT 1') ?? null
}

export function shiftInfo(row: ShiftRow): ShiftInfo {
  return {
    shiftId: row.shift_id,
    staffId: row.staff_id,
    courierName: row.courier_name,
    startedAt: row.started_at,
    expiresAt: row.expires_at,
    routeDate: row.route_date,
    manifestVersion: row.manifest_version,
    manifestLoaded: row.manifest_version !== null,
    unverifiedLimits: { perOrderFen: row.unverified_per_order_fen, perShiftFen: row.unverified_per_shift_fen },
    undoWindowMs: row.undo_window_ms,
    movedTo: row.moved_at === null ? null : { deviceId: row.moved_to_device, at: row.moved_at },
  }
}
