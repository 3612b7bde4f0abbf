import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACQUIRER_SIGNATURE_HEADER, ACQUIRER_TIMESTAMP_HEADER } from '../../shared/api/acquirer'
import type { DeviceEvent } from '../../shared/api/events'
import { signNotification } from '../acquirer/signature'
import { backfillDashboard } from '../db/migrations/1795900000000_dashboard'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { openDashboardStream, supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { DASHBOARD_TABLES } from './schema'

const DAY = '2026-03-02'
/** The courier's clock on the route day, Suzhou time. */
const at = (time: string): string => `${DAY}T${time}+08:00`
const MIN = 60_000

/** Every row of the summary tables, order-insensitive, to compare upkeep with a rebuild. */
async function summaries(server: TestBackend): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const table of [
    'dashboard_courier_days',
    'dashboard_failures',
    'dashboard_order_times',
    'dashboard_rejections',
  ] as const) {
    const rows = (await server.db.selectFrom(table).selectAll().execute()) as Record<string, unknown>[]
    out[table] = rows.map((row) => JSON.stringify(row, Object.keys(row).sort())).sort()
  }
  return out
}

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`dashboard figures on ${kind}`, () => {
    let server: TestBackend
    // 11:00 in Suzhou on the route day: the dashboard's "now".
    let clock = Date.parse(at('11:00:00'))
    let courier: LoggedInCourier
    let other: LoggedInCourier
    let supervisor: SupervisorSessionFixture

    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        now: () => clock,
        config: {
          settlement: { pollMs: 100, retryBaseMs: 50, retryMaxMs: 200 },
          supervisorSessionTtlMs: 30 * 24 * 60 * MIN,
        },
      })
      // The couriers start their shifts at 08:00; the courier's times below are within them.
      clock = Date.parse(at('08:00:00'))
      courier = await loggedInCourier(server, {
        routeDate: DAY,
        stops: [
          { address: '嘉元路100号', orders: [{ codFen: 6660 }] },
          { address: '御窑路8号', orders: [{ codFen: 19900 }, { codFen: 0, parcels: 2 }] },
          { address: '华元路21号', orders: [{ codFen: 3580 }] },
          { address: '春申湖路5号', orders: [{ codFen: 12000 }] },
          { address: '相城大道9号', orders: [{ codFen: 5000 }] },
        ],
      })
      other = await loggedInCourier(server, {
        depotId: courier.fixture.depotId,
        routeDate: DAY,
        orders: [{ codFen: 2500 }, { codFen: 0 }],
      })
      supervisor = await supervisorSession(server, courier.fixture.depotId)
      clock = Date.parse(at('11:00:00'))
    })
    afterAll(async () => server?.stop())

    const push = (who: LoggedInCourier, events: DeviceEvent[]) =>
      server.api.push(who.device.deviceToken, who.device.deviceId, events)
    const scan = (who: LoggedInCourier, index: number, time: string, parcel = 0): DeviceEvent => {
      const order = who.order(index)
      return who.events.next(
        {
          type: 'parcel.scanned',
          payload: {
            orderId: order.orderId,
            parcelId: order.parcels[parcel]!.parcelId,
            barcode: order.parcels[parcel]!.barcode,
            source: 'wedge',
          },
        },
        at(time),
      )
    }
    const complete = (
      who: LoggedInCourier,
      index: number,
      method: 'cash' | 'digital' | 'prepaid',
      time: string,
    ): DeviceEvent => {
      const order = who.order(index)
      return who.events.next(
        {
          type: 'delivery.completed',
          payload: {
            orderId: order.orderId,
            attempt: 1,
            method,
            dueFen: order.codFen,
            collectedFen: order.codFen,
            intentId: method === 'digital' ? order.intent!.intentId : null,
          },
        },
        at(time),
      )
    }
    const notifyPaid = async (intentId: string, amountFen: number, transactionId: string, paidAt: string) => {
      const body = JSON.stringify({
        notificationId: `ntf_${randomBytes(8).toString('hex')}`,
        type: 'payment.succeeded',
        intentId,
        transactionId,
        amountFen,
        occurredAt: paidAt,
      })
      const seconds = Math.floor(clock / 1000)
      const answer = await server.api.raw('POST', '/api/v1/acquirer/notifications', {
        body,
        headers: {
          [ACQUIRER_TIMESTAMP_HEADER]: String(seconds),
          [ACQUIRER_SIGNATURE_HEADER]: signNotification(server.sandbox!.identity.webhookSecret, seconds, body),
        },
      })
      expect(answer.status).toBe(200)
    }
    const settlementOf = (intentId: string) =>
      server.db.selectFrom('settlements').select('status').where('intent_id', '=', intentId).executeTakeFirst()

    it('counts a round by the courier’s times: stops, hourly and rolling rates, stop times, COD by method, failures, projection', async () => {
      const stream = await openDashboardStream(server.url, supervisor.token)
      try {
        await stream.waitForMore(0)
        const seen = stream.messages.length

        // Stop 1: cash, two minutes from scan to completion.
        await push(courier, [scan(courier, 0, '09:00:00'), complete(courier, 0, 'cash', '09:02:00')])
        // Stop 2: the customer of the 199.00 order pays before the courier reports; a prepaid order of 2 parcels.
        const paid = courier.order(1)
        await notifyPaid(paid.intent!.intentId, 19900, 'tx_StopTwoPayment1', at('09:13:30'))
        await push(courier, [
          scan(courier, 1, '09:10:00'),
          scan(courier, 2, '09:11:00', 0),
          scan(courier, 2, '09:11:30', 1),
          courier.events.next(
            {
              type: 'payment.confirmed',
              payload: {
                orderId: paid.orderId,
                intentId: paid.intent!.intentId,
                amountFen: 19900,
                via: 'push',
                transactionId: 'tx_StopTwoPayment1',
                paidAt: at('09:13:30'),
                receipt: null,
              },
            },
            at('09:13:31'),
          ),
          complete(courier, 1, 'digital', '09:14:00'),
          complete(courier, 2, 'prepaid', '09:15:00'),
        ])
        // Stop 3: not home.
        await push(courier, [
          scan(courier, 3, '10:05:00'),
          courier.events.next(
            {
              type: 'delivery.failed',
              payload: { orderId: courier.order(3).orderId, attempt: 1, reason: 'not_home' },
            },
            at('10:06:00'),
          ),
        ])
        // Stop 4: offline, "paid, to be verified": digital on the device's word, awaiting the acquirer.
        const unverified = courier.order(4)
        await push(courier, [
          scan(courier, 4, '10:20:00'),
          courier.events.next(
            {
              type: 'payment.unverified',
              payload: { orderId: unverified.orderId, intentId: unverified.intent!.intentId, amountFen: 12000 },
            },
            at('10:24:00'),
          ),
          complete(courier, 4, 'digital', '10:25:00'),
          courier.events.next({ type: 'shift.cash_declared', payload: { declaredFen: 6600 } }, at('10:40:00')),
        ])
        // The other courier: one cash delivery; and a delivery of an order that is not theirs, refused.
        await push(other, [
          scan(other, 0, '09:30:00'),
          complete(other, 0, 'cash', '09:31:00'),
          other.events.next(
            {
              type: 'delivery.completed',
              payload: {
                orderId: courier.order(5).orderId,
                attempt: 1,
                method: 'cash',
                dueFen: 5000,
                collectedFen: 5000,
                intentId: null,
              },
            },
            at('09:40:00'),
          ),
        ])
        // The dashboard hears of it live.
        expect((await stream.waitForMore(seen)).length).toBeGreaterThan(seen)
      } finally {
        stream.close()
      }
      await expect.poll(async () => (await settlementOf(courier.order(4).intent!.intentId))?.status).toBe('not_found')

      const view = await supervisor.dashboard.couriers({ date: DAY })
      expect(view.date).toBe(DAY)
      expect(view.target).toBe(150)
      expect(view.dayEndsAt).toBe(new Date(at('20:00:00')).toISOString())
      expect(view.couriers.map((c) => c.courier.courierId).sort()).toEqual(
        [courier.fixture.courierId, other.fixture.courierId].sort(),
      )
      const mine = view.couriers.find((c) => c.courier.courierId === courier.fixture.courierId)!
      expect(mine.courier).toEqual({
        courierId: courier.fixture.courierId,
        staffId: courier.fixture.staffId,
        name: '李强',
      })
      expect(mine.stops).toEqual({ done: 4, total: 5 })
      expect(mine.orders).toEqual({ total: 6, delivered: 4, failed: 1, open: 1 })
      const hourly = new Array(24).fill(0)
      hourly[9] = 3
      hourly[10] = 1
      expect(mine.deliveriesPerHour).toEqual({ hourly, rolling: 1, average: 2 })
      // Stops took 2, 5, 1 and 5 minutes: the median by nearest rank is 2, the p90 5.
      expect(mine.stopTime).toEqual({ medianMs: 2 * MIN, p90Ms: 5 * MIN, samples: 4 })
      expect(mine.cod).toEqual({
        digitalFen: 19900,
        digitalCount: 2,
        digitalAwaitingFen: 12000,
        digitalAwaitingCount: 1,
        cashFen: 6660,
        cashCount: 1,
        prepaidCount: 1,
      })
      expect(mine.failedByReason).toEqual({ not_home: 1, refused: 0, wrong_address: 0, damaged: 0, reschedule: 0 })
      expect(mine.firstActionAt).toBe(new Date(at('09:00:00')).toISOString())
      expect(mine.lastActionAt).toBe(new Date(at('10:25:00')).toISOString())
      expect(mine.rollingEndsAt).toBe(new Date(clock).toISOString())
      // Two an hour for nine hours more would be 22, but only one order is left.
      expect(mine.projection).toEqual({ projected: 5, onTrack: false })
      const five = await supervisor.dashboard.couriers({ date: DAY, target: 5 })
      expect(five.couriers.find((c) => c.courier.courierId === courier.fixture.courierId)!.projection.onTrack).toBe(
        true,
      )

      expect(view.totals.orders).toEqual({ total: 8, delivered: 5, failed: 1, open: 2 })
      expect(view.totals.stops).toEqual({ done: 5, total: 7 })
      expect(view.totals.cod.cashFen).toBe(6660 + 2500)
      expect(view.totals.deliveriesPerHour.hourly[9]).toBe(4)

      const attention = await supervisor.dashboard.attention({ date: DAY })
      expect(attention.rejections).toEqual([
        expect.objectContaining({
          deviceId: other.device.deviceId,
          type: 'delivery.completed',
          orderId: courier.order(5).orderId,
          waybill: courier.order(5).waybill,
          reason: 'order.not_on_manifest',
          occurredAt: at('09:40:00'),
          courier: expect.objectContaining({ courierId: other.fixture.courierId }),
        }),
      ])
      expect(attention.settlements).toEqual([
        expect.objectContaining({
          intentId: courier.order(4).intent!.intentId,
          kind: 'unverified',
          claimedFen: 12000,
          status: 'not_found',
        }),
      ])
      expect(attention.flags).toEqual([
        expect.objectContaining({ kind: 'unverified_not_found', refund: false, amountFen: 12000, resolvedAt: null }),
      ])

      const cash = await supervisor.dashboard.cash({ date: DAY })
      expect(cash.couriers.find((row) => row.courier.courierId === courier.fixture.courierId)).toMatchObject({
        expectedFen: 6660,
        cashCount: 1,
        declaredFen: 6600,
        declaredDiscrepancyFen: -60,
        receivedFen: null,
        status: 'awaiting',
      })
    })

    it('counts digital money once the acquirer confirms it, and flags a payment after cash for refund', async () => {
      const awaiting = courier.order(4)
      await server.api.pay(awaiting.intent!.qrPayload)
      await expect.poll(async () => (await settlementOf(awaiting.intent!.intentId))?.status).toBe('verified')
      const mine = (await supervisor.dashboard.couriers({ date: DAY })).couriers.find(
        (c) => c.courier.courierId === courier.fixture.courierId,
      )!
      expect(mine.cod).toMatchObject({ digitalFen: 19900 + 12000, digitalAwaitingFen: 0, digitalAwaitingCount: 0 })

      // The customer of the cash stop pays the QR after all: money to refund, never money collected.
      await notifyPaid(courier.order(0).intent!.intentId, 6660, 'tx_LateAfterCash1', at('09:05:00'))
      const again = (await supervisor.dashboard.couriers({ date: DAY })).couriers.find(
        (c) => c.courier.courierId === courier.fixture.courierId,
      )!
      expect(again.cod).toEqual(mine.cod)
      const attention = await supervisor.dashboard.attention({ date: DAY })
      expect(attention.flags.map((f) => [f.kind, f.refund, f.amountFen, f.resolvedAt === null])).toEqual(
        expect.arrayContaining([
          ['late_payment_after_cash', true, 6660, true],
          ['unverified_not_found', false, 12000, false],
        ]),
      )
      expect(attention.settlements[0]).toMatchObject({ status: 'verified', transactionId: expect.any(String) })
    })

    it('counts nothing twice: a replayed batch and a replayed notification leave every figure as it was', async () => {
      const before = await supervisor.dashboard.couriers({ date: DAY })
      const beforeSummaries = await summaries(server)
      // The same events again, at their sequences (answered duplicate), and under new sequences (same IDs).
      const replay = await server.db
        .selectFrom('device_events')
        .selectAll()
        .where('device_id', '=', courier.device.deviceId)
        .orderBy('seq')
        .execute()
      const events = replay.map(
        (row) =>
          ({
            seq: row.seq,
            eventId: row.event_id,
            occurredAt: row.occurred_at,
            shiftId: row.shift_id,
            type: row.type,
            payload: JSON.parse(row.payload) as unknown,
          }) as DeviceEvent,
      )
      expect((await push(courier, events)).results.every((r) => r.status === 'duplicate')).toBe(true)
      const reseq = events.map((event) => ({ ...event, seq: courier.events.lastSeq + event.seq }))
      expect((await push(courier, reseq)).results.every((r) => r.status === 'duplicate')).toBe(true)
      await notifyPaid(courier.order(1).intent!.intentId, 19900, 'tx_StopTwoPayment1', at('09:13:30'))
      const after = await supervisor.dashboard.couriers({ date: DAY })
      expect({ ...after, generatedAt: null }).toEqual({ ...before, generatedAt: null })
      expect(await summaries(server)).toEqual(beforeSummaries)
    })

    it('keeps the summaries equal to a rebuild from the base tables', async () => {
      const kept = await summaries(server)
      for (const table of DASHBOARD_TABLES.filter(
        (t) => t !== 'cash_handins' && t !== 'depot_audit' && t !== 'attention_resolutions',
      )) {
        await server.db.deleteFrom(table).execute()
      }
      await backfillDashboard(server.db as unknown as Kysely<unknown>)
      expect(await summaries(server)).toEqual(kept)
    })

    it('reads a past day to its last action, a day to come as not started, and today by default', async () => {
      clock = Date.parse('2026-03-04T12:00:00+08:00')
      const past = (await supervisor.dashboard.couriers({ date: DAY })).couriers.find(
        (c) => c.courier.courierId === courier.fixture.courierId,
      )!
      expect(past.rollingEndsAt).toBe(new Date(at('10:25:00')).toISOString())
      expect(past.deliveriesPerHour.rolling).toBe(1)
      expect(past.projection).toEqual({ projected: 4, onTrack: false })
      const today = await supervisor.dashboard.couriers()
      expect(today.date).toBe('2026-03-04')
      expect(today.couriers).toEqual([])
      clock = Date.parse('2026-03-01T12:00:00+08:00')
      const ahead = (await supervisor.dashboard.couriers({ date: DAY })).couriers[0]!
      expect(ahead.projection).toEqual({ projected: null, onTrack: null })
      expect(ahead.rollingEndsAt).toBeNull()
      clock = Date.parse(at('11:00:00'))
    })

    it('shows each device’s backlog from its heartbeat, ageing while it is away, and its courier', async () => {
      await server.api.heartbeat(courier.device.deviceToken, courier.device.deviceId, {
        pendingCount: 3,
        oldestPendingAt: new Date(clock - 5 * MIN).toISOString(),
        lastSyncAt: new Date(clock - 6 * MIN).toISOString(),
        appVersion: '0.1.0',
        sentAt: new Date(clock).toISOString(),
      })
      clock += 2 * MIN
      const view = await supervisor.dashboard.devices({ date: DAY })
      const device = view.devices.find((d) => d.deviceId === courier.device.deviceId)!
      expect(device).toMatchObject({
        courier: { courierId: courier.fixture.courierId },
        pendingCount: 3,
        oldestPendingAgeMs: 7 * MIN,
        appVersion: '0.1.0',
        lastContactAgeMs: 2 * MIN,
        ackedSeq: courier.events.lastSeq * 2,
      })
      expect(view.devices.map((d) => d.deviceId).sort()).toEqual(
        [courier.device.deviceId, other.device.deviceId].sort(),
      )
      clock -= 2 * MIN
    })
  })
}
