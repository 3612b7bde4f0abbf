import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DepotDevicesResponse,
  DepotFlagsResponse,
  OrderChangeResponse,
  SupervisorLoginResponse,
} from '../../shared/api/depot'
import { CreateEnrollmentCodeResponse } from '../../shared/api/device'
import { openStream, errorOf } from '../testing/api'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'
import { createCourierWithRoute, createSupervisorLogin } from '../testing/fixtures'
import { snapshotTables } from '../testing/snapshot'

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`depot endpoints on ${kind}`, () => {
    let server: TestBackend
    let clock = Date.now()

    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        now: () => clock,
        config: { lockout: { maxAttempts: 2, lockMs: 60_000 }, supervisorSessionTtlMs: 60 * 60_000 },
      })
    })
    afterAll(async () => server?.stop())

    async function supervisorOf(depotId: string) {
      const login = await createSupervisorLogin(server.db, depotId)
      const session = await server.api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, {
        json: { login: login.login, password: login.password },
      })
      return { ...login, token: session.supervisorToken, session }
    }

    it('logs a supervisor in, stores the password as a slow hash, and locks after wrong passwords', async () => {
      const fixture = await createCourierWithRoute(server.db)
      const supervisor = await supervisorOf(fixture.depotId)
      expect(supervisor.session.depot.depotId).toBe(fixture.depotId)
      const row = await server.db
        .selectFrom('supervisors')
        .select('password_hash')
        .where('id', '=', supervisor.supervisorId)
        .executeTakeFirstOrThrow()
      expect(row.password_hash).toMatch(/^scrypt\$/)
      const wrong = () =>
        server.api.raw('POST', '/api/v1/depot/sessions', { json: { login: supervisor.login, password: 'nope' } })
      expect((await wrong()).status).toBe(401)
      // The wrong password that reaches the limit says so: the login is locked from here.
      expect((await wrong()).status).toBe(423)
      const locked = await server.api.raw('POST', '/api/v1/depot/sessions', {
        json: { login: supervisor.login, password: supervisor.password },
      })
      expect(locked.status).toBe(423)
      expect(errorOf(locked.json).code).toBe('depot.locked')
      clock += 60_001
      expect(
        (
          await server.api.raw('POST', '/api/v1/depot/sessions', {
            json: { login: supervisor.login, password: supervisor.password },
          })
        ).status,
      ).toBe(201)
    })

    it('creates single-use enrollment codes for its depot, only with a supervisor token', async () => {
      const fixture = await createCourierWithRoute(server.db)
      const supervisor = await supervisorOf(fixture.depotId)
      const created = await server.api.call('POST', '/api/v1/depot/enrollment-codes', CreateEnrollmentCodeResponse, {
        token: supervisor.token,
      })
      expect(created.code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/)
      const device = await server.api.enroll(created.code)
      expect(device.depotId).toBe(fixture.depotId)
      const before = await snapshotTables(server.db)
      const courier = await server.api.login(device.deviceToken, fixture.staffId, fixture.pin)
      void courier
      const after = await snapshotTables(server.db)
      expect(after.shifts!.length).toBe(before.shifts!.length + 1)

      const snapshot = await snapshotTables(server.db)
      for (const token of [undefined, 'tsp_' + 'x'.repeat(43), 'tdv_' + 'x'.repeat(43)]) {
        const answer = await server.api.raw('POST', '/api/v1/depot/enrollment-codes', { token })
        expect(answer.status).toBe(401)
      }
      // A courier's or a device's live token is known, and refused at the depot's door (issue 7).
      for (const token of [device.deviceToken, courier.shiftToken]) {
        const answer = await server.api.raw('POST', '/api/v1/depot/enrollment-codes', { token })
        expect(answer.status).toBe(403)
        expect(errorOf(answer.json).code).toBe('auth.supervisors_only')
      }
      clock += 60 * 60_000
      const expired = await server.api.raw('POST', '/api/v1/depot/enrollment-codes', { token: supervisor.token })
      expect(errorOf(expired.json).code).toBe('auth.expired')
      expect(await snapshotTables(server.db)).toEqual(snapshot)
    })

    it("cancels and reassigns orders; the couriers' devices hear it and their manifests follow", async () => {
      const from = await loggedInCourier(server, { orders: [{ codFen: 6660 }, { codFen: 19900 }, { codFen: 0 }] })
      const to = await loggedInCourier(server, { depotId: from.fixture.depotId, orders: [{ codFen: 3580 }] })
      const supervisor = await supervisorOf(from.fixture.depotId)
      const fromStream = await openStream(server.url, from.device.deviceId, from.device.deviceToken)
      const toStream = await openStream(server.url, to.device.deviceId, to.device.deviceToken)
      try {
        const cancelled = await server.api.call(
          'POST',
          `/api/v1/depot/orders/${from.order(0).orderId}/cancel`,
          OrderChangeResponse,
          {
            token: supervisor.token,
          },
        )
        expect(cancelled).toMatchObject({ status: 'cancelled', version: 2 })
        expect((await fromStream.waitFor((m) => m.event === 'manifest')).data).toEqual({
          shiftId: from.shift.shiftId,
          orderId: from.order(0).orderId,
          change: 'cancelled',
          version: 2,
        })
        await expect
          .poll(
            async () =>
              (await server.api.acquirerRecord(server.sandbox!.identity.apiKey, from.order(0).intent!.intentId)).status,
          )
          .toBe('cancelled')

        const moved = await server.api.call(
          'POST',
          `/api/v1/depot/orders/${from.order(1).orderId}/reassign`,
          OrderChangeResponse,
          {
            token: supervisor.token,
            json: { courierId: to.fixture.courierId },
          },
        )
        expect(moved).toMatchObject({ status: 'pending', courierId: to.fixture.courierId, version: 2 })
        await fromStream.waitFor(
          (m) => m.event === 'manifest' && (m.data as { change: string }).change === 'reassigned',
        )
        await toStream.waitFor((m) => m.event === 'manifest' && (m.data as { change: string }).change === 'updated')

        const fromManifest = await server.api.manifest(from.shift.shiftToken, from.shift.shiftId)
        const fromOrders = fromManifest.stops.flatMap((s) => s.orders)
        expect(fromManifest.version).toBe(3)
        expect(fromOrders.map((o) => [o.orderId, o.status, o.intent?.status ?? null])).toEqual([
          [from.order(0).orderId, 'cancelled', 'cancelled'],
          [from.order(1).orderId, 'reassigned', null],
          [from.order(2).orderId, 'pending', null],
        ])
        const toManifest = await server.api.manifest(to.shift.shiftToken, to.shift.shiftId)
        expect(toManifest.stops.map((s) => s.sequence)).toEqual([1, 2])
        const taken = toManifest.stops[1]!.orders[0]!
        expect(taken).toMatchObject({ orderId: from.order(1).orderId, status: 'pending' })
        expect(taken.intent!.intentId).not.toBe(from.order(1).intent!.intentId)

        // The old courier's device may no longer act on it.
        const w = from.events
        const answer = await server.api.push(from.device.deviceToken, from.device.deviceId, [
          w.next({
            type: 'payment.qr_shown',
            payload: { orderId: from.order(1).orderId, intentId: from.order(1).intent!.intentId },
          }),
        ])
        expect(answer.results[0]!.reason).toBe('order.reassigned')

        const again = await server.api.raw('POST', `/api/v1/depot/orders/${from.order(0).orderId}/cancel`, {
          token: supervisor.token,
        })
        expect(again.status).toBe(409)
        const unknown = await server.api.raw('POST', '/api/v1/depot/orders/ord_NoSuchOrder1/cancel', {
          token: supervisor.token,
        })
        expect(unknown.status).toBe(404)
        const elsewhere = await loggedInCourier(server)
        const foreign = await server.api.raw('POST', `/api/v1/depot/orders/${elsewhere.order(0).orderId}/cancel`, {
          token: supervisor.token,
        })
        expect(errorOf(foreign.json).code).toBe('order.not_found')
      } finally {
        fromStream.close()
        toStream.close()
      }
    })

    it("lists the depot's devices with their backlog, and its flags", async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 6660 }] })
      const supervisor = await supervisorOf(courier.fixture.depotId)
      await server.api.heartbeat(courier.device.deviceToken, courier.device.deviceId, {
        pendingCount: 4,
        oldestPendingAt: '2026-03-01T09:00:00+08:00',
        lastSyncAt: null,
        appVersion: '0.1.0',
        sentAt: '2026-03-01T09:05:00+08:00',
      })
      const devices = await server.api.call('GET', '/api/v1/depot/devices', DepotDevicesResponse, {
        token: supervisor.token,
      })
      expect(devices.devices).toEqual([
        expect.objectContaining({
          deviceId: courier.device.deviceId,
          pendingCount: 4,
          appVersion: '0.1.0',
          ackedSeq: 0,
        }),
      ])
      const paid = await server.api.pay(courier.order(0).intent!.qrPayload)
      const w = courier.events
      await server.api.push(courier.device.deviceToken, courier.device.deviceId, [
        w.next(
          {
            type: 'delivery.completed',
            payload: {
              orderId: courier.order(0).orderId,
              attempt: 1,
              method: 'cash',
              dueFen: 6660,
              collectedFen: 6660,
              intentId: null,
            },
          },
          new Date(Date.parse(paid.paidAt) - 30_000).toISOString(),
        ),
      ])
      // Whichever lands first, the payment's notification or the cash completion, the second one raises the flag.
      const flags = async () =>
        (await server.api.call('GET', '/api/v1/depot/flags', DepotFlagsResponse, { token: supervisor.token })).flags
      await expect.poll(flags).toHaveLength(1)
      expect(await flags()).toEqual([
        expect.objectContaining({
          orderId: courier.order(0).orderId,
          waybill: courier.order(0).waybill,
          kind: 'late_payment_after_cash',
          amountFen: 6660,
          transactionId: paid.transactionId,
          resolvedAt: null,
        }),
      ])
    })
  })
}
