import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DeviceEvent } from '../../shared/api/events'
import { LoginResponse } from '../../shared/api/shift'
import { createEnrollmentCode } from '../devices/enrollment'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'

/**
 * Issue 10, point 8: an undo reopens a prepaid, cash or failed completion, but only inside the window measured by
 * the courier's clock between the two events; a confirmed digital payment never undoes. The audit keeps both
 * events, and the dashboard's counters follow. Point 6: a courier who logs in on another terminal moves the shift.
 */

// The courier's time is kept between the shift's start and the receipt (courier-time.ts), so the events are
// dated from now: a fixed past date would be raised to the shift's start and every gap between them would be 0.
const BASE_MS = Date.now()
const at = (second: number): string => new Date(BASE_MS + second * 1000).toISOString()

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`undo and device swap on ${kind}`, () => {
    let server: TestBackend
    beforeAll(async () => {
      server = await startTestBackend({ database: kind, config: { undoWindowMs: 10_000 } })
    })
    afterAll(async () => server?.stop())

    const push = (courier: LoggedInCourier, events: DeviceEvent[]) =>
      server.api.push(courier.device.deviceToken, courier.device.deviceId, events)
    const route = () => loggedInCourier(server, { orders: [{ codFen: 6660 }, { codFen: 0 }, { codFen: 3580 }] })
    const completed = (courier: LoggedInCourier, index: number, method: 'cash' | 'prepaid', collectedFen: number) => {
      const order = courier.order(index)
      return {
        type: 'delivery.completed' as const,
        payload: { orderId: order.orderId, attempt: 1, method, dueFen: order.codFen, collectedFen, intentId: null },
      }
    }
    const undone = (
      courier: LoggedInCourier,
      index: number,
      outcome: 'delivered' | 'failed',
      method: string | null,
    ) => ({
      type: 'delivery.undone' as const,
      payload: {
        orderId: courier.order(index).orderId,
        attempt: 1,
        outcome,
        method: method as 'cash' | 'prepaid' | null,
      },
    })
    const day = async (courierId: string) =>
      server.db.selectFrom('dashboard_courier_days').selectAll().where('courier_id', '=', courierId).executeTakeFirst()
    const orderRow = (orderId: string) =>
      server.db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow()

    it('tells the device the undo window at login', async () => {
      const courier = await route()
      expect(LoginResponse.parse(courier.shift).undoWindowMs).toBe(10_000)
    })

    it('applies an undo inside the window: the order is open again, the counters go back, both events stay', async () => {
      const courier = await route()
      const w = courier.events
      const cash = courier.order(0)
      expect((await push(courier, [w.next(completed(courier, 0, 'cash', 6000), at(0))])).results[0]!.status).toBe(
        'applied',
      )
      expect(await day(courier.fixture.courierId)).toMatchObject({ delivered: 1, cash_count: 1, cash_fen: 6000 })
      const answer = await push(courier, [w.next(undone(courier, 0, 'delivered', 'cash'), at(9))])
      expect(answer.results[0]).toMatchObject({ status: 'applied' })
      expect(await orderRow(cash.orderId)).toMatchObject({ status: 'pending', delivered_method: null, closed_ms: null })
      expect(
        await server.db.selectFrom('delivery_attempts').selectAll().where('order_id', '=', cash.orderId).execute(),
      ).toEqual([])
      expect(await day(courier.fixture.courierId)).toMatchObject({ delivered: 0, cash_count: 0, cash_fen: 0 })
      const events = await server.db
        .selectFrom('device_events')
        .select(['type', 'status'])
        .where('order_id', '=', cash.orderId)
        .orderBy('seq')
        .execute()
      expect(events).toEqual([
        { type: 'delivery.completed', status: 'applied' },
        { type: 'delivery.undone', status: 'applied' },
      ])
      // Delivered again: counted once, as the courier's final word.
      await push(courier, [w.next(completed(courier, 0, 'cash', 6660), at(20))])
      expect(await day(courier.fixture.courierId)).toMatchObject({ delivered: 1, cash_count: 1, cash_fen: 6660 })
    })

    it('refuses an undo after the window by the courier’s clock, and leaves the delivery as it was', async () => {
      const courier = await route()
      const w = courier.events
      await push(courier, [w.next(completed(courier, 1, 'prepaid', 0), at(0))])
      const answer = await push(courier, [w.next(undone(courier, 1, 'delivered', 'prepaid'), at(11))])
      expect(answer.results[0]).toMatchObject({ status: 'rejected', reason: 'undo.window_passed' })
      expect(await orderRow(courier.order(1).orderId)).toMatchObject({ status: 'delivered' })
      expect(await day(courier.fixture.courierId)).toMatchObject({ delivered: 1, prepaid_count: 1 })
    })

    it('takes a completion and its undo in one batch as nothing delivered, and a failure undone too', async () => {
      const courier = await route()
      const w = courier.events
      const failed = courier.order(2)
      const answer = await push(courier, [
        w.next(completed(courier, 1, 'prepaid', 0), at(0)),
        w.next(undone(courier, 1, 'delivered', 'prepaid'), at(3)),
        w.next(
          { type: 'delivery.failed', payload: { orderId: failed.orderId, attempt: 1, reason: 'not_home' } },
          at(4),
        ),
        w.next(undone(courier, 2, 'failed', null), at(6)),
      ])
      expect(answer.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'applied'])
      // Nothing was delivered or failed: no counter moved (the day may not even have a row, or one of zeros).
      expect((await day(courier.fixture.courierId)) ?? { delivered: 0, prepaid_count: 0, failed: 0 }).toMatchObject({
        delivered: 0,
        prepaid_count: 0,
        failed: 0,
      })
      const failures = await server.db
        .selectFrom('dashboard_failures')
        .select(['failed'])
        .where('courier_id', '=', courier.fixture.courierId)
        .execute()
      expect(failures.reduce((sum, f) => sum + f.failed, 0)).toBe(0)
      expect(await orderRow(failed.orderId)).toMatchObject({ status: 'pending', failure_reason: null })
    })

    it('refuses to undo what was not recorded, or as something else, and never a digital payment', async () => {
      const courier = await route()
      const w = courier.events
      const answer = await push(courier, [
        w.next(undone(courier, 0, 'delivered', 'cash'), at(0)),
        w.next(completed(courier, 1, 'prepaid', 0), at(1)),
        w.next(undone(courier, 1, 'failed', null), at(2)),
      ])
      expect(answer.results.map((r) => r.reason)).toEqual(['undo.nothing_to_undo', null, 'undo.outcome_mismatch'])
      const digital = courier.order(2)
      const more = await push(courier, [
        w.next(
          {
            type: 'delivery.completed',
            payload: {
              orderId: digital.orderId,
              attempt: 1,
              method: 'digital',
              dueFen: 3580,
              collectedFen: 3580,
              intentId: digital.intent!.intentId,
            },
          },
          at(3),
        ),
        w.next(
          {
            type: 'delivery.undone',
            payload: { orderId: digital.orderId, attempt: 1, outcome: 'delivered', method: 'digital' },
          },
          at(4),
        ),
      ])
      expect(more.results.map((r) => r.reason)).toEqual([null, 'undo.digital'])
      expect(await orderRow(digital.orderId)).toMatchObject({ status: 'delivered', delivered_method: 'digital' })
    })

    it('moves the shift on a login from another terminal: the old one is told, its token answers shift.moved', async () => {
      const courier = await route()
      const w = courier.events
      await push(courier, [w.next(completed(courier, 0, 'cash', 6660), at(0))])
      // The same courier enrolls a second device and logs in there.
      const { code } = await createEnrollmentCode(server.db, {
        depotId: courier.fixture.depotId,
        createdBy: null,
        ttlMs: 60_000,
        nowMs: Date.now(),
      })
      const second = await server.api.enroll(code)
      const shift2 = await server.api.login(second.deviceToken, courier.fixture.staffId, courier.fixture.pin)
      // The old terminal's shift token now says where the shift went.
      const refused = await server.api.raw('GET', `/api/v1/shifts/${courier.shift.shiftId}/manifest`, {
        token: courier.shift.shiftToken,
      })
      expect(refused.status).toBe(401)
      expect(refused.json).toMatchObject({ error: { code: 'shift.moved', details: { deviceId: second.deviceId } } })
      const messages = await server.db
        .selectFrom('stream_messages')
        .select(['name', 'data'])
        .where('device_id', '=', courier.device.deviceId)
        .where('name', '=', 'shift')
        .execute()
      expect(messages.map((m) => JSON.parse(m.data) as unknown)).toEqual([
        expect.objectContaining({ shiftId: courier.shift.shiftId, change: 'moved', toDeviceId: second.deviceId }),
      ])
      // The new terminal's manifest says how the order was closed on the first, so it counts the same money.
      const manifest = await server.api.manifest(shift2.shiftToken, shift2.shiftId)
      const order = manifest.stops.flatMap((s) => s.orders).find((o) => o.orderId === courier.order(0).orderId)!
      expect(order).toMatchObject({
        status: 'delivered',
        outcome: { method: 'cash', collectedFen: 6660, failureReason: null },
      })
      // The first terminal's late events still go in, and the new one is told its route changed.
      await push(courier, [w.next(completed(courier, 1, 'prepaid', 0), at(5))])
      const told = await server.db
        .selectFrom('stream_messages')
        .select(['name', 'data'])
        .where('device_id', '=', second.deviceId)
        .where('name', '=', 'manifest')
        .execute()
      expect(told.map((m) => JSON.parse(m.data) as unknown)).toEqual([
        expect.objectContaining({ shiftId: shift2.shiftId, change: 'updated', orderId: courier.order(1).orderId }),
      ])
    })
  })
}
