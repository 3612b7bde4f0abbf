import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACQUIRER_SIGNATURE_HEADER, ACQUIRER_TIMESTAMP_HEADER } from '../../shared/api/acquirer'
import type { DeviceEvent } from '../../shared/api/events'
import { signNotification } from '../acquirer/signature'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { databasesUnderTest } from '../testing/databases'

const DAY = '2026-03-02'
const MIN = 60_000
const HOUR = 60 * MIN
/** 08:00 in Suzhou on the route day: the couriers log in then. */
const START = Date.parse(`${DAY}T08:00:00+08:00`)
const TOLERANCE = 5 * MIN
const iso = (ms: number): string => new Date(ms).toISOString()

/**
 * The courier's time is the device's clock reading corrected by the offset the device had measured to the
 * backend's clock, and bounded by the shift and the time of receipt: the backend keeps the reading and the
 * offset as sent, and every rule and figure uses the corrected, bounded time.
 */
for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`the courier's time on ${kind}`, () => {
    let server: TestBackend
    let clock = START
    let supervisor: SupervisorSessionFixture
    let depotId: string

    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        now: () => clock,
        config: { eventTimeToleranceMs: TOLERANCE, supervisorSessionTtlMs: 30 * 24 * HOUR },
      })
      const first = await loggedInCourier(server, { routeDate: DAY, orders: [{ codFen: 0 }] })
      depotId = first.fixture.depotId
      supervisor = await supervisorSession(server, depotId)
    })
    afterAll(async () => server?.stop())

    async function courier(orders = [{ codFen: 6660 }, { codFen: 0 }]): Promise<LoggedInCourier> {
      clock = START
      return loggedInCourier(server, { depotId, routeDate: DAY, orders })
    }
    const push = (who: LoggedInCourier, events: DeviceEvent[]) =>
      server.api.push(who.device.deviceToken, who.device.deviceId, events)
    const scan = (who: LoggedInCourier, index: number, occurredAt: string, clockOffsetMs?: number | null) => {
      const order = who.order(index)
      const event = who.events.next(
        {
          type: 'parcel.scanned',
          payload: {
            orderId: order.orderId,
            parcelId: order.parcels[0]!.parcelId,
            barcode: order.parcels[0]!.barcode,
            source: 'wedge',
          },
        },
        occurredAt,
      )
      return clockOffsetMs === undefined ? event : { ...event, clockOffsetMs }
    }
    const cash = (who: LoggedInCourier, index: number, occurredAt: string, clockOffsetMs: number) => ({
      ...who.events.next(
        {
          type: 'delivery.completed',
          payload: {
            orderId: who.order(index).orderId,
            attempt: 1,
            method: 'cash',
            dueFen: who.order(index).codFen,
            collectedFen: who.order(index).codFen,
            intentId: null,
          },
        },
        occurredAt,
      ),
      clockOffsetMs,
    })
    const stored = (who: LoggedInCourier) =>
      server.db
        .selectFrom('device_events')
        .selectAll()
        .where('device_id', '=', who.device.deviceId)
        .orderBy('seq')
        .execute()
    const deviceStatus = async (who: LoggedInCourier) =>
      (await supervisor.dashboard.devices({ date: DAY })).devices.find((d) => d.deviceId === who.device.deviceId)!

    it("keeps the device's clock reading and offset, and counts the corrected time everywhere", async () => {
      const who = await courier()
      const ahead = 12 * HOUR
      clock = START + 30 * MIN
      const events = [
        scan(who, 0, iso(START + 10 * MIN + ahead), -ahead),
        cash(who, 0, iso(START + 12 * MIN + ahead), -ahead),
      ]
      const answer = await push(who, events)
      expect(answer.results.map((r) => r.status)).toEqual(['applied', 'applied'])

      const rows = await stored(who)
      expect(rows.map((row) => row.device_occurred_at)).toEqual(events.map((event) => event.occurredAt))
      expect(rows.map((row) => row.clock_offset_ms)).toEqual([-ahead, -ahead])
      expect(rows.map((row) => row.occurred_ms)).toEqual([START + 10 * MIN, START + 12 * MIN])
      expect(rows.map((row) => Date.parse(row.occurred_at))).toEqual([START + 10 * MIN, START + 12 * MIN])
      expect(rows.map((row) => row.time_flag)).toEqual([null, null])
      const attempt = await server.db
        .selectFrom('delivery_attempts')
        .select(['occurred_ms'])
        .where('order_id', '=', who.order(0).orderId)
        .executeTakeFirstOrThrow()
      expect(attempt.occurred_ms).toBe(START + 12 * MIN)
      const order = await server.db
        .selectFrom('orders')
        .select(['closed_ms', 'closed_at'])
        .where('id', '=', who.order(0).orderId)
        .executeTakeFirstOrThrow()
      expect(order.closed_ms).toBe(START + 12 * MIN)
      expect(Date.parse(order.closed_at!)).toBe(START + 12 * MIN)

      const view = await supervisor.dashboard.couriers({ date: DAY })
      const mine = view.couriers.find((c) => c.courier.courierId === who.fixture.courierId)!
      expect(mine.firstActionAt).toBe(iso(START + 10 * MIN))
      expect(mine.stopTime.medianMs).toBe(2 * MIN)
      expect(mine.deliveriesPerHour.hourly[8]).toBe(1)

      expect((await deviceStatus(who)).clock).toEqual({
        offsetMs: -ahead,
        source: 'events',
        measuredAt: iso(START + 30 * MIN),
        skewed: true,
        adjustedEvents: 0,
      })
    })

    it('judges a late payment after cash by the corrected times', async () => {
      const who = await courier()
      const intent = who.order(0).intent!
      const ahead = 12 * HOUR
      // The customer pays at 08:20 by the acquirer's clock; the courier took cash at 08:15, by a clock 12 h ahead.
      clock = START + 25 * MIN
      const body = JSON.stringify({
        notificationId: `ntf_${randomBytes(8).toString('hex')}`,
        type: 'payment.succeeded',
        intentId: intent.intentId,
        transactionId: `tx_${randomBytes(8).toString('hex')}`,
        amountFen: 6660,
        occurredAt: iso(START + 20 * MIN),
      })
      const seconds = Math.floor(clock / 1000)
      const notified = await server.api.raw('POST', '/api/v1/acquirer/notifications', {
        body,
        headers: {
          [ACQUIRER_TIMESTAMP_HEADER]: String(seconds),
          [ACQUIRER_SIGNATURE_HEADER]: signNotification(server.sandbox!.identity.webhookSecret, seconds, body),
        },
      })
      expect(notified.status).toBe(200)
      clock = START + 26 * MIN
      await push(who, [cash(who, 0, iso(START + 15 * MIN + ahead), -ahead)])
      const flags = await server.db
        .selectFrom('flags')
        .select('kind')
        .where('order_id', '=', who.order(0).orderId)
        .execute()
      expect(flags).toEqual([{ kind: 'late_payment_after_cash' }])
    })

    it('accepts a time outside the shift or after receipt at the nearest bound, flagged; the dashboard still answers', async () => {
      const who = await courier([{ codFen: 0 }])
      clock = START + 40 * MIN
      const received = clock
      const events = [
        scan(who, 0, '0000-01-01T00:00:00+08:00'),
        scan(who, 0, '1970-01-01T00:00:00Z'),
        scan(who, 0, '2099-12-31T23:59:59+08:00'),
        scan(who, 0, iso(START - TOLERANCE), null),
        scan(who, 0, iso(START - TOLERANCE - 1), null),
        scan(who, 0, iso(received + TOLERANCE - 60_000), 60_000),
        scan(who, 0, iso(received + TOLERANCE + 1 - 60_000), 60_000),
      ]
      const answer = await push(who, events)
      expect(answer.results.every((r) => r.status === 'applied')).toBe(true)
      const rows = await stored(who)
      expect(rows.map((row) => [row.occurred_ms, row.time_flag])).toEqual([
        [START, 'before_shift'],
        [START, 'before_shift'],
        [received, 'after_receipt'],
        [START - TOLERANCE, null],
        [START, 'before_shift'],
        [received + TOLERANCE, null],
        [received, 'after_receipt'],
      ])
      expect(rows.map((row) => row.device_occurred_at)).toEqual(events.map((event) => event.occurredAt))

      const view = await supervisor.dashboard.couriers({ date: DAY })
      const mine = view.couriers.find((c) => c.courier.courierId === who.fixture.courierId)!
      expect(mine.firstActionAt).toBe(iso(START - TOLERANCE))
      expect((await deviceStatus(who)).clock).toMatchObject({ adjustedEvents: 5 })
    })

    it("shows a device's clock skew from its heartbeat, flagged over two minutes", async () => {
      const who = await courier([{ codFen: 0 }])
      clock = START + 50 * MIN
      const beat = (behindMs: number) =>
        server.api.heartbeat(who.device.deviceToken, who.device.deviceId, {
          pendingCount: 0,
          oldestPendingAt: null,
          lastSyncAt: null,
          appVersion: '1.0.0',
          sentAt: iso(clock - behindMs),
        })
      await beat(3 * MIN)
      expect((await deviceStatus(who)).clock).toEqual({
        offsetMs: 3 * MIN,
        source: 'heartbeat',
        measuredAt: iso(clock),
        skewed: true,
        adjustedEvents: 0,
      })
      clock += MIN
      await beat(90_000)
      expect((await deviceStatus(who)).clock).toMatchObject({ offsetMs: 90_000, skewed: false })
    })
  })
}
