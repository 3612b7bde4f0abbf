import type { DeviceDb } from '../db'
import { readSyncState, writeSyncState } from '../sync/state'

/** One reading of the backend's clock: what it said, and when the exchange left and came back by the device's. */
export interface ClockSample {
  /** The backend's time, epoch ms. */
  serverMs: number
  /** How precise that time is: ±500 ms for an HTTP `Date` header (whole seconds), 0 for a millisecond time. */
  resolutionMs: number
  sentMs: number
  receivedMs: number
}

/** An estimate older than this is replaced by any new reading, however rough. */
const STALE_MS = 10 * 60_000

/**
 * The device's measured offset to the backend's clock (backend minus device, ms), from every exchange: the
 * answer's time against the middle of the round trip, within half the round trip plus the answer's resolution.
 * The device's clock may be wrong by hours, so what the backend decides (a QR's expiry) is judged in backend time,
 * and every event carries the offset known when the courier acted. Kept in `sync_state`, so a restart in a dead
 * zone still knows it.
 */
export interface ClockOffset {
  /** Backend minus device, ms; null until the backend was first reached. */
  offsetMs(): number | null
  /** The backend's time now, as well as the device knows it (its own clock until an offset is known). */
  backendNow(): Date
  observe(sample: ClockSample): void
}

export function createClockOffset(db: DeviceDb, now: () => Date): ClockOffset {
  const stored = Number(readSyncState(db, 'clock_offset_ms'))
  let offset: number | null = readSyncState(db, 'clock_offset_ms') === null || !Number.isFinite(stored) ? null : stored
  let uncertainty = Number(readSyncState(db, 'clock_offset_uncertainty_ms') ?? Number.POSITIVE_INFINITY)
  let measuredAt = 0

  return {
    offsetMs: () => offset,
    backendNow: () => new Date(now().getTime() + (offset ?? 0)),
    observe({ serverMs, resolutionMs, sentMs, receivedMs }) {
      if (!Number.isFinite(serverMs) || receivedMs < sentMs) return
      const estimate = Math.round(serverMs - (sentMs + receivedMs) / 2)
      const within = (receivedMs - sentMs) / 2 + resolutionMs
      const stale = receivedMs - measuredAt > STALE_MS
      // A better reading wins; so does one that cannot be the same clock (the device's was set, or jumped).
      const moved = offset === null || Math.abs(estimate - offset) > within + uncertainty
      if (!(moved || stale || within <= uncertainty)) return
      const changed = offset === null || Math.abs(estimate - offset) >= 50 || within < uncertainty
      offset = estimate
      uncertainty = within
      measuredAt = receivedMs
      if (!changed) return
      try {
        db.transaction(() => {
          writeSyncState(db, 'clock_offset_ms', String(estimate))
          writeSyncState(db, 'clock_offset_uncertainty_ms', String(Math.round(within)))
        })
      } catch {
        // A full disk costs the stored copy only; the offset in memory still serves this run.
      }
    },
  }
}
