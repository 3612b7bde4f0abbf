import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_MAX_ORDER_FEN, MAX_FEN, TotalFen } from '../../shared/money'
import { errorOf } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'
import { supervisorSession } from '../testing/dashboard'
import { databasesUnderTest } from '../testing/databases'
import { createCourierWithRoute } from '../testing/fixtures'

/**
 * One order's amount has a business ceiling (¥50,000 unless configured), enforced where orders are made and on
 * every input that carries an order's amount; a total of valid orders is never too big to answer.
 */
for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`amount bounds on ${kind}`, () => {
    let server: TestBackend
    let wide: TestBackend
    beforeAll(async () => {
      server = await startTestBackend({ database: kind })
      // A deployment that raised the ceiling as far as it goes: the largest orders there can be.
      wide = await startTestBackend({ database: kind, config: { maxOrderFen: MAX_FEN } })
    })
    afterAll(async () => {
      await server?.stop()
      await wide?.stop()
    })

    it('makes no order over the ceiling, in the seed builders or the fixtures', async () => {
      await expect(
        createCourierWithRoute(server.db, { orders: [{ codFen: DEFAULT_MAX_ORDER_FEN + 1 }] }),
      ).rejects.toThrow(RangeError)
      const ok = await createCourierWithRoute(server.db, { orders: [{ codFen: DEFAULT_MAX_ORDER_FEN }] })
      expect(ok.orders[0]!.codFen).toBe(DEFAULT_MAX_ORDER_FEN)
    })

    it('rejects an event carrying an amount over the ceiling, whatever the order says', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 6660 }] })
      const order = courier.order(0)
      const answer = await server.api.push(courier.device.deviceToken, courier.device.deviceId, [
        courier.events.next({
          type: 'delivery.completed',
          payload: {
            orderId: order.orderId,
            attempt: 1,
            method: 'cash',
            dueFen: 6660,
            collectedFen: DEFAULT_MAX_ORDER_FEN + 1,
            intentId: null,
          },
        }),
      ])
      expect(answer.results[0]).toMatchObject({ status: 'rejected', reason: 'amount.over_ceiling' })
    })

    it('answers the dashboard and cash views for two cash orders of the largest amount, and a declaration of both', async () => {
      const courier = await loggedInCourier(wide, {
        maxOrderFen: MAX_FEN,
        orders: [{ codFen: MAX_FEN }, { codFen: MAX_FEN }],
      })
      const supervisor = await supervisorSession(wide, courier.fixture.depotId)
      const events = [0, 1].map((i) =>
        courier.events.next({
          type: 'delivery.completed',
          payload: {
            orderId: courier.order(i).orderId,
            attempt: 1,
            method: 'cash',
            dueFen: MAX_FEN,
            collectedFen: MAX_FEN,
            intentId: null,
          },
        }),
      )
      events.push(courier.events.next({ type: 'shift.cash_declared', payload: { declaredFen: 2 * MAX_FEN } }))
      const pushed = await wide.api.push(courier.device.deviceToken, courier.device.deviceId, events)
      expect(pushed.results.map((result) => result.status)).toEqual(['applied', 'applied', 'applied'])

      const couriers = await supervisor.dashboard.couriers({ date: courier.fixture.routeDate })
      expect(couriers.totals.cod.cashFen).toBe(2 * MAX_FEN)
      const cash = await supervisor.dashboard.cash({ date: courier.fixture.routeDate })
      expect(cash.couriers[0]).toMatchObject({ expectedFen: 2 * MAX_FEN, declaredFen: 2 * MAX_FEN })
      const recorded = await supervisor.dashboard.recordCash(courier.fixture.courierId, {
        date: courier.fixture.routeDate,
        receivedFen: 2 * MAX_FEN,
        version: 0,
      })
      expect(recorded.row.status).toBe('balanced')
    })

    it('takes totals up to the largest safe integer, and refuses more', async () => {
      expect(TotalFen.safeParse(Number.MAX_SAFE_INTEGER).success).toBe(true)
      expect(TotalFen.safeParse(Number.MAX_SAFE_INTEGER + 1).success).toBe(false)
      const courier = await loggedInCourier(server)
      const supervisor = await supervisorSession(server, courier.fixture.depotId)
      const answer = await supervisor.dashboard.api.raw(
        'PUT',
        `/api/v1/depot/dashboard/cash/${courier.fixture.courierId}`,
        {
          token: supervisor.token,
          json: { date: courier.fixture.routeDate, receivedFen: 2 ** 60, version: 0 },
        },
      )
      expect(answer.status).toBe(400)
      expect(errorOf(answer.json).code).toBe('request.invalid')
    })
  })
}
