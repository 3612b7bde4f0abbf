import { randomUUID } from 'node:crypto'
import { DeviceEvent, DeviceEventBody, type EventResult } from '../../../shared/api/events'
import type { DeviceDb } from '../db'

export type OutboxState = 'pending' | 'acked' | 'rejected'

export interface OutboxEntry {
  event: DeviceEvent
  state: OutboxState
  reason: string | null
}

interface OutboxRow {
  seq: number
  event_id: string
  shift_id: string
  type: string
  payload: string
  occurred_at: string
  state: OutboxState
  reason: string | null
  clock_offset_ms: number | null
}

function toEvent(row: OutboxRow): DeviceEvent {
  return DeviceEvent.parse({
    seq: row.seq,
    eventId: row.event_id,
    shiftId: row.shift_id,
    occurredAt: row.occurred_at,
    ...(row.clock_offset_ms === null ? {} : { clockOffsetMs: row.clock_offset_ms }),
    type: row.type,
    payload: JSON.parse(row.payload) as unknown,
  })
}

/**
 * Records what the courier did as the next event in the outbox. It must run inside the same transaction as the
 * state change it records, so both land or neither does; it throws when called outside one. The sequence comes
 * from a counter row, not from MAX(seq), so pruning acked rows never reuses a number.
 */
export function appendEvent(
  db: DeviceDb,
  event: DeviceEventBody & { shiftId: string; occurredAt: string },
): DeviceEvent {
  if (!db.raw.inTransaction) throw new Error('appendEvent must run inside the transaction of the change it records')
  const body = DeviceEventBody.parse({ type: event.type, payload: event.payload })
  const { last_seq } = db.get<{ last_seq: number }>(
    'UPDATE outbox_sequence SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq',
  )!
  // The offset to the backend's clock as the device knows it now (`clock/offset.ts` keeps it in sync_state).
  const known = db.get<{ value: string }>(`SELECT value FROM sync_state WHERE key = 'clock_offset_ms'`)?.value
  const offset = known === undefined || !Number.isSafeInteger(Number(known)) ? null : Number(known)
  const recorded = DeviceEvent.parse({
    ...body,
    seq: last_seq,
    eventId: randomUUID(),
    shiftId: event.shiftId,
    occurredAt: event.occurredAt,
    ...(offset === null ? {} : { clockOffsetMs: offset }),
  })
  db.run(
    `INSERT INTO outbox (seq, event_id, shift_id, type, payload, occurred_at, state, clock_offset_ms)
     VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
    [
      recorded.seq,
      recorded.eventId,
      recorded.shiftId,
      recorded.type,
      JSON.stringify(body.payload),
      recorded.occurredAt,
      offset,
    ],
  )
  return recorded
}

/** The oldest pending events, in sequence order, for the next push. */
export function pendingEvents(db: DeviceDb, limit: number, fromSeq = 0): DeviceEvent[] {
  return db
    .all<OutboxRow>(`SELECT * FROM outbox WHERE state = 'pending' AND seq >= ? ORDER BY seq LIMIT ?`, [fromSeq, limit])
    .map(toEvent)
}

/**
 * Applies the backend's answers in one transaction: applied and duplicate are acked; rejected is kept with its
 * reason, for the courier's "needs attention" list. Returns how many rows changed state.
 */
export function settleEvents(db: DeviceDb, results: readonly EventResult[], settledAt: string): number {
  return db.transaction(() => {
    let changed = 0
    for (const result of results) {
      const state: OutboxState = result.status === 'rejected' ? 'rejected' : 'acked'
      changed += db.run(
        `UPDATE outbox SET state = ?, reason = ?, settled_at = ?
         WHERE seq = ? AND event_id = ? AND state = 'pending'`,
        [
          state,
          result.status === 'rejected' ? (result.reason ?? 'rejected') : null,
          settledAt,
          result.seq,
          result.eventId,
        ],
      ).changes
    }
    return changed
  })
}

export interface OutboxStats {
  pending: number
  oldestPendingAt: string | null
  rejected: number
  lastSeq: number
}

export function outboxStats(db: DeviceDb): OutboxStats {
  // The oldest pending event is the first one written, found by the (state, seq) index rather than a scan.
  const pending = db.get<{ count: number; oldest: string | null }>(
    `SELECT COUNT(*) AS count,
       (SELECT occurred_at FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT 1) AS oldest
     FROM outbox WHERE state = 'pending'`,
  )!
  const rejected = db.get<{ count: number }>(`SELECT COUNT(*) AS count FROM outbox WHERE state = 'rejected'`)!
  const { last_seq } = db.get<{ last_seq: number }>('SELECT last_seq FROM outbox_sequence WHERE id = 1')!
  return { pending: pending.count, oldestPendingAt: pending.oldest, rejected: rejected.count, lastSeq: last_seq }
}

/**
 * Events the backend refused on business grounds, newest first; rows are kept for good. `open` leaves out those
 * the courier has acknowledged.
 */
export function rejectedEvents(db: DeviceDb, which: 'all' | 'open' = 'all'): OutboxEntry[] {
  const open = which === 'open' ? 'AND acknowledged_at IS NULL' : ''
  return db
    .all<OutboxRow>(`SELECT * FROM outbox WHERE state = 'rejected' ${open} ORDER BY seq DESC`)
    .map((row) => ({ event: toEvent(row), state: row.state, reason: row.reason }))
}

/**
 * Marks a refused event as seen by the courier, at `at` (ISO time); the row itself stays. Answers false when
 * `seq` is not a refused event still open, and then changes nothing.
 */
export function acknowledgeRejected(db: DeviceDb, seq: number, at: string): boolean {
  return (
    db.run(`UPDATE outbox SET acknowledged_at = ? WHERE seq = ? AND state = 'rejected' AND acknowledged_at IS NULL`, [
      at,
      seq,
    ]).changes === 1
  )
}

/**
 * Deletes acked rows settled before `before` (ISO time) that are not among the newest `keep` sequences: age alone
 * is not trusted, since the device's clock can jump. Pending and rejected rows are never pruned.
 */
export function pruneAcked(db: DeviceDb, before: string, keep: number): number {
  return db.run(
    `DELETE FROM outbox WHERE state = 'acked' AND settled_at < ?
       AND seq <= (SELECT last_seq FROM outbox_sequence WHERE id = 1) - ?`,
    [before, keep],
  ).changes
}

/**
 * Events from `seq` on, whatever their state, for a rewind: the backend answered that it expects `seq` next, so
 * it no longer holds what the device had counted as acked. Acked rows are kept for a while for exactly this.
 */
export function eventsFrom(db: DeviceDb, seq: number, limit: number): DeviceEvent[] {
  return db.all<OutboxRow>('SELECT * FROM outbox WHERE seq >= ? ORDER BY seq LIMIT ?', [seq, limit]).map(toEvent)
}

/** The lowest sequence still on the device (pruning removes old acked rows), or null when the outbox is empty. */
export function oldestRetainedSeq(db: DeviceDb): number | null {
  return db.get<{ seq: number | null }>('SELECT MIN(seq) AS seq FROM outbox')!.seq
}
