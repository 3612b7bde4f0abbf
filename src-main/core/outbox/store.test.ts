import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDeviceDb, type DeviceDb } from '../db'
import { deviceMigrations } from '../migrations'
import {
  appendEvent,
  eventsFrom,
  oldestRetainedSeq,
  outboxStats,
  pendingEvents,
  pruneAcked,
  rejectedEvents,
  settleEvents,
} from './store'

const SHIFT = 'shf_test0001'
const open = (file = join(mkdtempSync(join(tmpdir(), 'tuotou-outbox-')), 'device.sqlite')): DeviceDb =>
  openDeviceDb(file, deviceMigrations)

function record(db: DeviceDb, n: number, occurredAt = '2026-11-26T09:00:00.000Z') {
  return db.transaction(() =>
    appendEvent(db, {
      type: 'shift.cash_declared',
      payload: { declaredFen: n },
      shiftId: SHIFT,
      occurredAt,
    }),
  )
}

describe('outbox', () => {
  it('numbers events 1, 2, 3 with random IDs and keeps the courier’s time', () => {
    const db = open()
    const events = [1, 2, 3].map((n) => record(db, n, `2026-11-26T09:00:0${n}.000Z`))
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3])
    expect(new Set(events.map((e) => e.eventId)).size).toBe(3)
    expect(pendingEvents(db, 10).map((e) => e.occurredAt)).toEqual([
      '2026-11-26T09:00:01.000Z',
      '2026-11-26T09:00:02.000Z',
      '2026-11-26T09:00:03.000Z',
    ])
  })

  it('refuses to write outside the transaction of the change it records', () => {
    const db = open()
    expect(() =>
      appendEvent(db, { type: 'shift.cash_declared', payload: { declaredFen: 1 }, shiftId: SHIFT, occurredAt: 'x' }),
    ).toThrow(/inside the transaction/)
  })

  it('refuses an event outside the contract, and the transaction rolls back', () => {
    const db = open()
    expect(() =>
      db.transaction(() =>
        appendEvent(db, {
          type: 'shift.cash_declared',
          payload: { declaredFen: 1.5 },
          shiftId: SHIFT,
          occurredAt: '2026-11-26T09:00:00.000Z',
        }),
      ),
    ).toThrow()
    expect(outboxStats(db)).toMatchObject({ pending: 0, lastSeq: 0 })
  })

  it('loses the event with the change when the change fails', () => {
    const db = open()
    expect(() =>
      db.transaction(() => {
        appendEvent(db, {
          type: 'shift.cash_declared',
          payload: { declaredFen: 1 },
          shiftId: SHIFT,
          occurredAt: '2026-11-26T09:00:00.000Z',
        })
        throw new Error('the state change failed')
      }),
    ).toThrow()
    expect(record(db, 2).seq).toBe(1)
  })

  it('acks applied and duplicate answers, keeps rejected ones with their reason', () => {
    const db = open()
    const [a, b, c] = [1, 2, 3].map((n) => record(db, n))
    const changed = settleEvents(
      db,
      [
        { seq: a!.seq, eventId: a!.eventId, status: 'applied', reason: null },
        { seq: b!.seq, eventId: b!.eventId, status: 'rejected', reason: 'order.reassigned' },
        { seq: c!.seq, eventId: c!.eventId, status: 'duplicate', reason: null },
      ],
      '2026-11-26T10:00:00.000Z',
    )
    expect(changed).toBe(3)
    expect(outboxStats(db)).toMatchObject({ pending: 0, rejected: 1, lastSeq: 3 })
    expect(rejectedEvents(db)).toEqual([expect.objectContaining({ reason: 'order.reassigned', state: 'rejected' })])
  })

  it('ignores an answer for another event ID at the same sequence', () => {
    const db = open()
    const a = record(db, 1)
    settleEvents(db, [{ seq: a.seq, eventId: crypto.randomUUID(), status: 'applied', reason: null }], 'now')
    expect(outboxStats(db).pending).toBe(1)
  })

  it('never reuses a sequence number after pruning, and never prunes pending or rejected rows', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tuotou-outbox-')), 'device.sqlite')
    const db = open(file)
    const [a, b] = [1, 2].map((n) => record(db, n))
    record(db, 3)
    settleEvents(
      db,
      [
        { seq: a!.seq, eventId: a!.eventId, status: 'applied', reason: null },
        { seq: b!.seq, eventId: b!.eventId, status: 'rejected', reason: 'nope' },
      ],
      '2026-11-20T00:00:00.000Z',
    )
    expect(pruneAcked(db, '2026-11-25T00:00:00.000Z', 0)).toBe(1)
    db.close()
    const reopened = open(file)
    expect(record(reopened, 4).seq).toBe(4)
    expect(outboxStats(reopened)).toMatchObject({ pending: 2, rejected: 1, lastSeq: 4 })
  })

  it('keeps the newest acked rows whatever their age: a clock that jumps forward cannot empty the buffer', () => {
    const db = open()
    const written = [1, 2, 3, 4, 5].map((n) => record(db, n))
    settleEvents(
      db,
      written.map((e) => ({ seq: e.seq, eventId: e.eventId, status: 'applied' as const, reason: null })),
      '2026-11-20T00:00:00.000Z',
    )
    // Every row is older than the retention by the (jumped) clock; only those beyond the newest 3 go.
    expect(pruneAcked(db, '2099-01-01T00:00:00.000Z', 3)).toBe(2)
    expect(oldestRetainedSeq(db)).toBe(3)
  })

  it('reports the oldest pending action time', () => {
    const db = open()
    record(db, 1, '2026-11-26T08:00:00.000Z')
    record(db, 2, '2026-11-26T09:00:00.000Z')
    expect(outboxStats(db).oldestPendingAt).toBe('2026-11-26T08:00:00.000Z')
  })
})

describe('outbox rewind', () => {
  it('reads events from a sequence whatever their state, and knows the oldest one kept', () => {
    const db = open()
    const [a, b] = [1, 2, 3].map((n) => record(db, n))
    settleEvents(
      db,
      [
        { seq: a!.seq, eventId: a!.eventId, status: 'applied', reason: null },
        { seq: b!.seq, eventId: b!.eventId, status: 'rejected', reason: 'nope' },
      ],
      '2026-11-20T00:00:00.000Z',
    )
    expect(eventsFrom(db, 1, 10).map((e) => e.seq)).toEqual([1, 2, 3])
    expect(eventsFrom(db, 2, 1).map((e) => e.seq)).toEqual([2])
    expect(oldestRetainedSeq(db)).toBe(1)
    pruneAcked(db, '2026-11-25T00:00:00.000Z', 0)
    expect(oldestRetainedSeq(db)).toBe(2)
  })

  it('has no oldest sequence when empty', () => {
    expect(oldestRetainedSeq(open())).toBeNull()
  })
})
