import { sql, type Kysely } from 'kysely'
import type { DeviceBattery } from '../../shared/api/depot-devices'
import { DeviceClock, type DevicesStatusResponse } from '../../shared/api/dashboard'
import { CLOCK_SKEW_WARNING_MS } from '../../shared/api/events'
import type { BackendSchema } from '../db/schema'
import { courierRef, couriersOfDepot } from './couriers'
import {
  orNull,
  storedCount,
  storedInstant,
  storedOption,
  storedSigned,
  storedTimestamp,
  storedTimestampOrEpoch,
} from './stored'

const ClockSource = DeviceClock.shape.source.unwrap()

/** A stored battery reading, or null when the device never sent one (or sent what cannot be a level). */
const batteryOf = (level: number | null, charging: number | null): DeviceBattery | null => {
  if (level === null || charging === null) return null
  const value = Math.round(Number(level))
  return Number.isFinite(value) ? { level: Math.min(100, Math.max(0, value)), charging: Number(charging) === 1 } : null
}

const ageAt = (nowMs: number, at: string | null): number | null => {
  const ms = at === null ? Number.NaN : Date.parse(at)
  return Number.isNaN(ms) ? null : storedCount(nowMs - ms)
}

/**
 * The depot's devices: each one's backlog as its last heartbeat reported it (pending events and the oldest's
 * time, so its age keeps growing while the device is out of coverage), its last contact of any kind, and the
 * courier whose latest shift of the day is on it.
 */
export async function devicesOfDay(
  db: Kysely<BackendSchema>,
  depotId: string,
  date: string,
  nowMs: number,
): Promise<DevicesStatusResponse> {
  const [devices, shifts, adjusted, couriers, supervisors] = await Promise.all([
    db
      .selectFrom('devices')
      .selectAll()
      .where('depot_id', '=', depotId)
      // Retired devices stay listed, after the others, with their history.
      .orderBy(sql`case when revoked_at is null then 0 else 1 end`)
      .orderBy('label')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('shifts')
      .select(['device_id', 'courier_id'])
      .where('depot_id', '=', depotId)
      .where('route_date', '=', date)
      .orderBy('started_ms')
      .execute(),
    db
      .selectFrom('device_events')
      .innerJoin('shifts', 'shifts.id', 'device_events.shift_id')
      .select(['device_events.device_id', (eb) => eb.fn.countAll<number>().as('count')])
      .where('shifts.depot_id', '=', depotId)
      .where('shifts.route_date', '=', date)
      .where('device_events.time_flag', 'is not', null)
      .groupBy('device_events.device_id')
      .execute(),
    couriersOfDepot(db, depotId),
    db.selectFrom('supervisors').select(['id', 'name']).where('depot_id', '=', depotId).execute(),
  ])
  const retiredBy = new Map(supervisors.map((row) => [row.id, row.name]))
  const adjustedOn = new Map(adjusted.map((row) => [row.device_id, Number(row.count)]))
  // Ordered by start: the last shift seen for a device is its latest.
  const courierOnDevice = new Map(shifts.map((shift) => [shift.device_id, shift.courier_id]))
  return {
    date,
    generatedAt: new Date(nowMs).toISOString(),
    devices: devices.map((device) => {
      const courierId = courierOnDevice.get(device.id)
      const pending = orNull(storedCount)(device.pending_count)
      const oldest = storedTimestamp(device.oldest_pending_at)
      const contact = orNull(storedSigned)(device.last_contact_ms)
      const offset = orNull(storedSigned)(device.clock_offset_ms)
      return {
        deviceId: device.id,
        label: device.label,
        courier: courierId ? courierRef(couriers, courierId) : null,
        appVersion: device.app_version,
        pendingCount: pending,
        oldestPendingAt: oldest,
        oldestPendingAgeMs: pending ? ageAt(nowMs, oldest) : null,
        lastSyncAt: storedTimestamp(device.last_sync_at),
        heartbeatAt: storedTimestamp(device.heartbeat_sent_at),
        lastContactAt: storedInstant(contact),
        lastContactAgeMs: contact === null ? null : storedCount(nowMs - contact),
        ackedSeq: storedCount(device.acked_seq),
        clock: {
          offsetMs: offset,
          source: offset === null ? null : storedOption(ClockSource, device.clock_source),
          measuredAt: offset === null ? null : storedInstant(device.clock_measured_ms),
          skewed: offset !== null && Math.abs(offset) > CLOCK_SKEW_WARNING_MS,
          adjustedEvents: storedCount(adjustedOn.get(device.id) ?? 0),
        },
        battery: batteryOf(device.battery_level, device.battery_charging),
        retired:
          device.revoked_at === null
            ? null
            : {
                at: storedTimestampOrEpoch(device.revoked_at),
                by: device.retired_by === null ? null : (retiredBy.get(device.retired_by) ?? null),
              },
      }
    }),
  }
}
