import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { CourierRouteResponse, ReassignRunResponse } from '../../shared/api/depot-routes'
import { errorOf, openStream } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { databasesUnderTest } from '../testing/databases'
import { snapshotTables } from '../testing/snapshot'

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`depot routes: a courier's route, reassigning a run of stops on ${kind}`, () => {
    let server: TestBackend
    let li: LoggedInCourier
    let wang: LoggedInCourier
    let boss: SupervisorSessionFixture

    beforeAll(async () => {
      server = await startTestBackend({ database: kind })
      li = await loggedInCourier(server, {
        orders: [{ codFen: 6660 }, { codFen: 19900 }, { codFen: 0 }, { codFen: 3580 }, { codFen: 1200 }, { codFen: 0 }],
      })
      wang = await loggedInCourier(server, { depotId: li.fixture.depotId, orders: [{ codFen: 500 }] })
      boss = await supervisorSession(server, li.fixture.depotId)
      // Li shows order 0's QR; order 1's customer pays before any delivery closes it.
      await server.api.push(li.device.deviceToken, li.device.deviceId, [
        li.events.next({
          type: 'payment.qr_shown',
          payload: { orderId: li.order(0).orderId, intentId: li.order(0).intent!.intentId },
        }),
      ])
      await server.api.pay(li.order(1).intent!.qrPayload)
      await vi.waitFor(async () => {
        const paid = await server.db
          .selectFrom('payments')
          .select('transaction_id')
          .where('order_id', '=', li.order(1).orderId)
          .executeTakeFirst()
        if (!paid) throw new Error('not paid yet')
      }, 15_000)
    })
    afterAll(async () => server?.stop())

    const route = (courierId: string, token = boss.token) =>
      server.api.raw('GET', `/api/v1/depot/routes/${courierId}`, { token })
    const reassign = (json: unknown, token = boss.token) =>
      server.api.raw('POST', '/api/v1/depot/orders/reassign', { token, json })

    it("lists the courier's orders in route order, saying which have a collection in progress", async () => {
      const answer = await route(li.fixture.courierId)
      expect(answer.status).toBe(200)
      const body = CourierRouteResponse.parse(answer.json)
      expect(body.courier.courierId).toBe(li.fixture.courierId)
      expect(body.orders.map((order) => [order.orderId, order.collecting])).toEqual([
        [li.order(0).orderId, 'qr_shown'],
        [li.order(1).orderId, 'paid_not_completed'],
        [li.order(2).orderId, null],
        [li.order(3).orderId, null],
        [li.order(4).orderId, null],
        [li.order(5).orderId, null],
      ])
    })

    it('moves a run of stops to another courier, and both devices hear it', async () => {
      const liStream = await openStream(server.url, li.device.deviceId, li.device.deviceToken, 0)
      const wangStream = await openStream(server.url, wang.device.deviceId, wang.device.deviceToken, 0)
      try {
        const run = [li.order(2).orderId, li.order(3).orderId]
        const answer = await reassign({
          orderIds: run,
          fromCourierId: li.fixture.courierId,
          toCourierId: wang.fixture.courierId,
        })
        expect(answer.status).toBe(200)
        const body = ReassignRunResponse.parse(answer.json)
        expect(body.orders.map((order) => [order.orderId, order.courierId])).toEqual(
          run.map((orderId) => [orderId, wang.fixture.courierId]),
        )
        for (const orderId of run) {
          await liStream.waitFor(
            (m) =>
              m.event === 'manifest' &&
              (m.data as { orderId: string; change: string }).orderId === orderId &&
              (m.data as { change: string }).change === 'reassigned',
          )
          await wangStream.waitFor(
            (m) =>
              m.event === 'manifest' &&
              (m.data as { orderId: string; change: string }).orderId === orderId &&
              (m.data as { change: string }).change === 'updated',
          )
        }
      } finally {
        liStream.close()
        wangStream.close()
      }
      // The manifests are the backend's truth: the run is Wang's now, and off Li's.
      const wangOrders = (await server.api.manifest(wang.shift.shiftToken, wang.shift.shiftId)).stops.flatMap((stop) =>
        stop.orders.map((order) => order.orderId),
      )
      expect(wangOrders).toEqual(expect.arrayContaining([li.order(2).orderId, li.order(3).orderId]))
      // Li's manifest keeps them listed as reassigned, so the device drops them knowingly.
      const liOrders = (await server.api.manifest(li.shift.shiftToken, li.shift.shiftId)).stops.flatMap((stop) =>
        stop.orders.map((order) => [order.orderId, order.status]),
      )
      expect(liOrders).toEqual(
        expect.arrayContaining([
          [li.order(2).orderId, 'reassigned'],
          [li.order(3).orderId, 'reassigned'],
          [li.order(4).orderId, 'pending'],
        ]),
      )
    })

    it('refuses the whole run, saying which order and why, when one has a collection in progress', async () => {
      await server.settled()
      const before = await snapshotTables(server.db)
      for (const [orderId, reason] of [
        [li.order(0).orderId, 'qr_shown'],
        [li.order(1).orderId, 'paid_not_completed'],
      ] as const) {
        // The refusal names the order by its place in the run (the second), never echoing the ID sent.
        const answer = await reassign({
          orderIds: [li.order(4).orderId, orderId],
          fromCourierId: li.fixture.courierId,
          toCourierId: wang.fixture.courierId,
        })
        expect([answer.status, errorOf(answer.json).code, errorOf(answer.json).details]).toEqual([
          409,
          'order.collection_in_progress',
          { index: 1, reason },
        ])
      }
      // The single-order route refuses it the same way.
      const single = await server.api.raw('POST', `/api/v1/depot/orders/${li.order(0).orderId}/reassign`, {
        token: boss.token,
        json: { courierId: wang.fixture.courierId },
      })
      expect([single.status, errorOf(single.json).code]).toEqual([409, 'order.collection_in_progress'])
      // Bad bodies change nothing either.
      for (const json of [
        { orderIds: [], fromCourierId: li.fixture.courierId, toCourierId: wang.fixture.courierId },
        {
          orderIds: [li.order(4).orderId, li.order(4).orderId],
          fromCourierId: li.fixture.courierId,
          toCourierId: wang.fixture.courierId,
        },
        { orderIds: [li.order(4).orderId], toCourierId: wang.fixture.courierId },
        { orderIds: ['nope'], fromCourierId: li.fixture.courierId, toCourierId: wang.fixture.courierId },
      ]) {
        const answer = await reassign(json)
        expect([answer.status, errorOf(answer.json).code]).toEqual([400, 'request.invalid'])
      }
      const same = await reassign({
        orderIds: [li.order(4).orderId],
        fromCourierId: li.fixture.courierId,
        toCourierId: li.fixture.courierId,
      })
      expect([same.status, errorOf(same.json).code]).toEqual([409, 'order.already_assigned'])
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('two supervisors moving the same order at once: exactly one wins', async () => {
      const other = await supervisorSession(server, li.fixture.depotId)
      const chen = await loggedInCourier(server, { depotId: li.fixture.depotId, orders: [{ codFen: 800 }] })
      const answers = await Promise.all([
        reassign(
          { orderIds: [li.order(4).orderId], fromCourierId: li.fixture.courierId, toCourierId: wang.fixture.courierId },
          boss.token,
        ),
        reassign(
          { orderIds: [li.order(4).orderId], fromCourierId: li.fixture.courierId, toCourierId: chen.fixture.courierId },
          other.token,
        ),
      ])
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409])
      const lost = answers.find((answer) => answer.status === 409)!
      expect(errorOf(lost.json).code).toBe('order.moved')
      const winner = answers[0].status === 200 ? wang : chen
      const row = await server.db
        .selectFrom('orders')
        .select('courier_id')
        .where('id', '=', li.order(4).orderId)
        .executeTakeFirstOrThrow()
      expect(row.courier_id).toBe(winner.fixture.courierId)
    })
  })
}
