import type { DeviceEvent } from '../../shared/api/events'
import type { ShiftTable, TimeFlag } from '../db/schema'

/** How far back an event without a known shift may be dated: the oldest an outbox may hold it unsent. */
const UNKNOWN_SHIFT_REACH_MS = 30 * 24 * 60 * 60_000

/** The courier's time for one event, as every rule and figure counts it, and what was done to get it. */
export interface CourierTime {
  /** ISO 8601 in the offset the device wrote, e.g. `2026-03-02T08:10:00.000+08:00`. */
  at: string
  ms: number
  /** Why `ms` is a bound rather than the corrected reading; null when it is the corrected reading. */
  flag: TimeFlag | null
}

const OFFSET = /(Z|([+-])(\d{2}):(\d{2}))$/i

/** `ms` written in the UTC offset of `like` (an ISO 8601 time with its offset), or in UTC. */
export function inOffsetOf(ms: number, like: string): string {
  const match = OFFSET.exec(like)
  if (!match || match[1]!.toUpperCase() === 'Z') return new Date(ms).toISOString()
  const minutes = (match[2] === '-' ? -1 : 1) * (Number(match[3]) * 60 + Number(match[4]))
  return `${new Date(ms + minutes * 60_000).toISOString().slice(0, -1)}${match[1]}`
}

/**
 * The courier's time: the device's clock reading plus the offset it had measured to the backend's clock (none
 * if it never had), kept between the shift's start and the time the backend received it, each with a
 * `toleranceMs` for the error of a measured offset. Outside, the event is still accepted (what the courier did
 * happened; only its time is wrong) at the nearest bound, the shift's start or the receipt, and flagged.
 * Without a known shift (an event that will be rejected), the lower bound is as old as an outbox keeps events.
 */
export function courierTimeOf(
  event: Pick<DeviceEvent, 'occurredAt' | 'clockOffsetMs'>,
  shift: Pick<ShiftTable, 'started_ms'> | undefined,
  receivedMs: number,
  toleranceMs: number,
): CourierTime {
  const corrected = Date.parse(event.occurredAt) + (event.clockOffsetMs ?? 0)
  const earliest = shift ? shift.started_ms : receivedMs - UNKNOWN_SHIFT_REACH_MS
  let ms = corrected
  let flag: TimeFlag | null = null
  if (!(corrected >= earliest - toleranceMs)) {
    ms = earliest
    flag = 'before_shift'
  } else if (corrected > receivedMs + toleranceMs) {
    ms = receivedMs
    flag = 'after_receipt'
  }
  // A reading that needed nothing is kept exactly as the device wrote it.
  const at = ms === Date.parse(event.occurredAt) ? event.occurredAt : inOffsetOf(ms, event.occurredAt)
  return { at, ms, flag }
}
