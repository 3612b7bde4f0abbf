import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { openDashboardStream, supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { snapshotTables } from '../testing/snapshot'
import { errorOf } from '../testing/api'

const DAY = '2026-03-02'
const NOON = Date.parse(`${DAY}T12:00:00+08:00`)

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`dashboard access, bad input and cash on ${kind}`, () => {
    let server: TestBackend
    let clock = NOON
    let courier: LoggedInCourier
    let elsewhere: LoggedInCourier
    let supervisor: SupervisorSessionFixture
    let rival: SupervisorSessionFixture

    beforeAll(async () => {
      server = await startTestBackend({ database: kind, now: () => clock })
      courier = await loggedInCourier(server, { routeDate: DAY, orders: [{ codFen: 6660 }, { codFen: 19900 }] })
      elsewhere = await loggedInCourier(server, { routeDate: DAY, orders: [{ codFen: 3580 }] })
      supervisor = await supervisorSession(server, courier.fixture.depotId)
      rival = await supervisorSession(server, elsewhere.fixture.depotId)
      await server.api.push(courier.device.deviceToken, courier.device.deviceId, [
        courier.events.next(
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
          `${DAY}T09:30:00+08:00`,
        ),
        courier.events.next({ type: 'shift.cash_declared', payload: { declaredFen: 6660 } }, `${DAY}T11:00:00+08:00`),
      ])
      // Cash was taken, so the order's QR is cancelled in the background; let that settle before snapshots.
      await vi.waitFor(async () => {
        const intent = await server.db
          .selectFrom('payment_intents')
          .select('status')
          .where('order_id', '=', courier.order(0).orderId)
          .executeTakeFirstOrThrow()
        if (intent.status !== 'cancelled') throw new Error(`intent still ${intent.status}`)
      }, 10_000)
    })
    afterAll(async () => server?.stop())

    /** Every depot endpoint that takes a token, with a request that would succeed for this depot's supervisor. */
    const endpoints = () => [
      { method: 'GET', path: `/api/v1/depot/dashboard/couriers?date=${DAY}` },
      { method: 'GET', path: `/api/v1/depot/dashboard/devices?date=${DAY}` },
      { method: 'GET', path: `/api/v1/depot/dashboard/attention?date=${DAY}` },
      { method: 'GET', path: `/api/v1/depot/dashboard/cash?date=${DAY}` },
      { method: 'GET', path: `/api/v1/depot/dashboard/money?date=${DAY}` },
      { method: 'GET', path: `/api/v1/depot/statements?date=${DAY}` },
      { method: 'POST', path: '/api/v1/depot/statements', json: { csv: '#statement,v1' } },
      { method: 'GET', path: '/api/v1/depot/dashboard/stream' },
      {
        method: 'PUT',
        path: `/api/v1/depot/dashboard/cash/${courier.fixture.courierId}`,
        json: { date: DAY, receivedFen: 6660, version: 0 },
      },
      {
        method: 'POST',
        path: '/api/v1/depot/attention/flag:flg_AnyFlag1234/resolve',
        json: { action: 'resolve', note: 'checked' },
      },
      { method: 'GET', path: `/api/v1/depot/days/${DAY}/report` },
      { method: 'POST', path: `/api/v1/depot/days/${DAY}/close`, json: { courierId: courier.fixture.courierId } },
      { method: 'DELETE', path: '/api/v1/depot/sessions/current' },
      { method: 'POST', path: '/api/v1/depot/enrollment-codes' },
      { method: 'GET', path: '/api/v1/depot/devices' },
      { method: 'GET', path: '/api/v1/depot/flags' },
      { method: 'GET', path: `/api/v1/depot/dashboard/proofs?date=${DAY}` },
      { method: 'GET', path: '/api/v1/depot/evidence/0b7c1f2e-aaaa-4bbb-8ccc-ddddeeeeffff' },
      { method: 'POST', path: `/api/v1/depot/orders/${courier.order(1).orderId}/cancel` },
      {
        method: 'POST',
        path: `/api/v1/depot/orders/${courier.order(1).orderId}/reassign`,
        json: { courierId: courier.fixture.courierId },
      },
      { method: 'POST', path: `/api/v1/depot/devices/${courier.device.deviceId}/retire` },
      { method: 'GET', path: `/api/v1/depot/routes/${courier.fixture.courierId}?date=${DAY}` },
      {
        method: 'PUT',
        path: `/api/v1/depot/dashboard/targets/${courier.fixture.courierId}`,
        json: { date: DAY, target: 12 },
      },
      {
        method: 'POST',
        path: '/api/v1/depot/orders/reassign',
        json: {
          orderIds: [courier.order(1).orderId],
          fromCourierId: courier.fixture.courierId,
          toCourierId: courier.fixture.courierId,
        },
      },
    ]

    it("refuses a courier's and a device's token 403 on every depot endpoint, and no token 401, changing nothing", async () => {
      await server.settled()
      const before = await snapshotTables(server.db)
      for (const endpoint of endpoints()) {
        for (const [token, status, code] of [
          [courier.shift.shiftToken, 403, 'auth.supervisors_only'],
          [courier.device.deviceToken, 403, 'auth.supervisors_only'],
          [undefined, 401, 'auth.missing'],
          [`tsp_${'A'.repeat(43)}`, 401, 'auth.invalid'],
          ['not-a-token', 401, 'auth.invalid'],
        ] as const) {
          const answer = await server.api.raw(endpoint.method, endpoint.path, { token, json: endpoint.json })
          expect([endpoint.method, endpoint.path, answer.status, errorOf(answer.json).code]).toEqual([
            endpoint.method,
            endpoint.path,
            status,
            code,
          ])
        }
      }
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('shows a supervisor only their own depot, on every view and on the stream', async () => {
      const theirs = await rival.dashboard.couriers({ date: DAY })
      expect(theirs.depot.depotId).toBe(elsewhere.fixture.depotId)
      expect(theirs.couriers.map((c) => c.courier.courierId)).toEqual([elsewhere.fixture.courierId])
      expect((await rival.dashboard.devices({ date: DAY })).devices.map((d) => d.deviceId)).toEqual([
        elsewhere.device.deviceId,
      ])
      expect((await rival.dashboard.cash({ date: DAY })).couriers.map((c) => c.courier.courierId)).toEqual([
        elsewhere.fixture.courierId,
      ])
      const attention = await rival.dashboard.attention({ date: DAY })
      expect([attention.settlements, attention.flags, attention.rejections]).toEqual([[], [], []])
      const money = await server.api.raw('GET', `/api/v1/depot/dashboard/money?date=${DAY}`, { token: rival.token })
      expect(
        (money.json as { couriers: { courier: { courierId: string } }[] }).couriers.map((c) => c.courier.courierId),
      ).toEqual([elsewhere.fixture.courierId])
      expect(
        (await server.api.raw('GET', `/api/v1/depot/dashboard/money?date=${DAY}`, { token: supervisor.token })).json,
      ).toMatchObject({ couriers: [{ courier: { courierId: courier.fixture.courierId }, cashFen: 6660 }] })

      // Recording cash for another depot's courier is refused as if the courier did not exist.
      const before = await snapshotTables(server.db)
      const foreign = await server.api.raw('PUT', `/api/v1/depot/dashboard/cash/${courier.fixture.courierId}`, {
        token: rival.token,
        json: { date: DAY, receivedFen: 6660, version: 0 },
      })
      expect(foreign.status).toBe(404)
      expect(errorOf(foreign.json).code).toBe('courier.not_found')
      // Nor can they close this depot's courier's day, or read its report.
      const foreignClose = await server.api.raw('POST', `/api/v1/depot/days/${DAY}/close`, {
        token: rival.token,
        json: { courierId: courier.fixture.courierId },
      })
      expect([foreignClose.status, errorOf(foreignClose.json).code]).toEqual([404, 'courier.not_found'])
      const foreignReport = await server.api.raw(
        'GET',
        `/api/v1/depot/days/${DAY}/report?courierId=${courier.fixture.courierId}`,
        { token: rival.token },
      )
      expect((foreignReport.json as { couriers: unknown[] }).couriers).toEqual([])
      // The depot's older endpoints keep to the session's depot too.
      for (const path of [
        `/api/v1/depot/orders/${courier.order(1).orderId}/cancel`,
        `/api/v1/depot/orders/${courier.order(1).orderId}/reassign`,
      ]) {
        const answer = await server.api.raw('POST', path, {
          token: rival.token,
          json: path.endsWith('reassign') ? { courierId: elsewhere.fixture.courierId } : undefined,
        })
        expect([path, answer.status, errorOf(answer.json).code]).toEqual([path, 404, 'order.not_found'])
      }
      // Another depot's device cannot be retired: refused as if it did not exist.
      const retire = await server.api.raw('POST', `/api/v1/depot/devices/${courier.device.deviceId}/retire`, {
        token: rival.token,
      })
      expect([retire.status, errorOf(retire.json).code]).toEqual([404, 'device.not_found'])
      // Nor can their courier's target be set.
      const target = await server.api.raw('PUT', `/api/v1/depot/dashboard/targets/${courier.fixture.courierId}`, {
        token: rival.token,
        json: { date: DAY, target: 12 },
      })
      expect([target.status, errorOf(target.json).code]).toEqual([404, 'courier.not_found'])
      // Nor can another depot's courier's route be read, or their stops moved, even to the rival's own courier.
      const theirRoute = await server.api.raw('GET', `/api/v1/depot/routes/${courier.fixture.courierId}`, {
        token: rival.token,
      })
      expect([theirRoute.status, errorOf(theirRoute.json).code]).toEqual([404, 'courier.not_found'])
      for (const json of [
        {
          orderIds: [courier.order(1).orderId],
          fromCourierId: courier.fixture.courierId,
          toCourierId: elsewhere.fixture.courierId,
        },
        {
          orderIds: [courier.order(1).orderId],
          fromCourierId: elsewhere.fixture.courierId,
          toCourierId: elsewhere.fixture.courierId,
        },
      ]) {
        const moved = await server.api.raw('POST', '/api/v1/depot/orders/reassign', { token: rival.token, json })
        expect(moved.status).toBe(404)
        expect(['courier.not_found', 'order.not_found']).toContain(errorOf(moved.json).code)
      }
      expect(await snapshotTables(server.db)).toEqual(before)
      const devices = await server.api.raw('GET', '/api/v1/depot/devices', { token: rival.token })
      expect((devices.json as { devices: { deviceId: string }[] }).devices.map((d) => d.deviceId)).toEqual([
        elsewhere.device.deviceId,
      ])
      const flags = await server.api.raw('GET', '/api/v1/depot/flags', { token: rival.token })
      expect((flags.json as { flags: unknown[] }).flags).toEqual([])

      // A change in one depot wakes that depot's dashboards only.
      const mine = await openDashboardStream(server.url, supervisor.token)
      const theirsStream = await openDashboardStream(server.url, rival.token)
      try {
        await mine.waitForMore(0)
        await theirsStream.waitForMore(0)
        await server.api.heartbeat(courier.device.deviceToken, courier.device.deviceId, {
          pendingCount: 0,
          oldestPendingAt: null,
          lastSyncAt: new Date(clock).toISOString(),
          appVersion: '0.1.0',
          sentAt: new Date(clock).toISOString(),
        })
        await mine.waitForMore(1)
        await new Promise((resolve) => setTimeout(resolve, 1_300))
        expect(theirsStream.messages).toHaveLength(1)
        expect(mine.messages.every((m) => m.depotId === courier.fixture.depotId)).toBe(true)
      } finally {
        mine.close()
        theirsStream.close()
      }
    })

    it('refuses bad query parameters 400 with the field at fault, changing nothing', async () => {
      const before = await snapshotTables(server.db)
      const bad = [
        '/api/v1/depot/dashboard/couriers?date=2026-13-01',
        '/api/v1/depot/dashboard/couriers?date=2026-02-30',
        '/api/v1/depot/dashboard/couriers?date=yesterday',
        '/api/v1/depot/dashboard/couriers?date=20260302',
        '/api/v1/depot/dashboard/couriers?date=2026-03-02T00:00:00Z',
        '/api/v1/depot/dashboard/couriers?date=',
        `/api/v1/depot/dashboard/couriers?date=${encodeURIComponent("2026-03-02' or 1=1 --")}`,
        '/api/v1/depot/dashboard/couriers?date=1999-12-31',
        '/api/v1/depot/dashboard/couriers?target=0',
        '/api/v1/depot/dashboard/couriers?target=1001',
        '/api/v1/depot/dashboard/couriers?target=1e2',
        '/api/v1/depot/dashboard/couriers?target=-5',
        '/api/v1/depot/dashboard/couriers?target=12.5',
        '/api/v1/depot/dashboard/couriers?target=abc',
        `/api/v1/depot/dashboard/couriers?date=${DAY}&date=${DAY}`,
        '/api/v1/depot/dashboard/couriers?depotId=dep_Other0001',
        '/api/v1/depot/dashboard/devices?date=2026-3-2',
        '/api/v1/depot/dashboard/attention?date=02/03/2026',
        '/api/v1/depot/dashboard/cash?date=2026-03-32',
        '/api/v1/depot/dashboard/money?date=2026-02-30',
        '/api/v1/depot/dashboard/money?depotId=dep_Other0001',
        '/api/v1/depot/statements?date=2026-3-2',
        '/api/v1/depot/statements?limit=5',
        '/api/v1/depot/dashboard/cash?limit=10',
        '/api/v1/depot/dashboard/stream?depotId=dep_Other0001',
      ]
      for (const path of bad) {
        const answer = await server.api.raw('GET', path, { token: supervisor.token })
        expect([path, answer.status, errorOf(answer.json).code]).toEqual([path, 400, 'request.invalid'])
        expect(errorOf(answer.json).details.part).toBe('query')
      }
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('refuses bad cash bodies with a clear 4xx, changing nothing', async () => {
      const before = await snapshotTables(server.db)
      const path = `/api/v1/depot/dashboard/cash/${courier.fixture.courierId}`
      const cases: { body?: string; json?: unknown; status: number; code: string; path?: string }[] = [
        { body: '{"date": "2026-03-02", "receivedFen": 6660,', status: 400, code: 'request.malformed_json' },
        { body: '', status: 400, code: 'request.invalid' },
        { json: { date: DAY, receivedFen: -1, version: 0 }, status: 400, code: 'request.invalid' },
        { json: { date: DAY, receivedFen: 66.6, version: 0 }, status: 400, code: 'request.invalid' },
        // A total may be any sum of orders, but not more than sums exactly.
        {
          json: { date: DAY, receivedFen: Number.MAX_SAFE_INTEGER + 1, version: 0 },
          status: 400,
          code: 'request.invalid',
        },
        { json: { date: DAY, receivedFen: '6660', version: 0 }, status: 400, code: 'request.invalid' },
        { json: { date: DAY, receivedFen: 6660 }, status: 400, code: 'request.invalid' },
        { json: { date: DAY, receivedFen: 6660, version: -1 }, status: 400, code: 'request.invalid' },
        { json: { date: '2026-02-30', receivedFen: 6660, version: 0 }, status: 400, code: 'request.invalid' },
        {
          json: { date: DAY, receivedFen: 6660, version: 0, depotId: 'dep_x0000' },
          status: 400,
          code: 'request.invalid',
        },
        {
          json: { date: DAY, receivedFen: 6000, version: 0, note: 'x'.repeat(501) },
          status: 400,
          code: 'request.invalid',
        },
        { json: [], status: 400, code: 'request.invalid' },
        { json: { date: DAY, receivedFen: 6000, version: 0 }, status: 422, code: 'cash.note_required' },
        { json: { date: DAY, receivedFen: 6000, version: 0, note: '   ' }, status: 422, code: 'cash.note_required' },
        { json: { date: DAY, receivedFen: 6660, version: 3 }, status: 409, code: 'cash.version_conflict' },
        {
          path: "/api/v1/depot/dashboard/cash/cou_'%3B%20drop%20table%20couriers%3B--",
          json: { date: DAY, receivedFen: 6660, version: 0 },
          status: 400,
          code: 'request.invalid',
        },
        {
          path: '/api/v1/depot/dashboard/cash/cou_NoSuchCourier01',
          json: { date: DAY, receivedFen: 6660, version: 0 },
          status: 404,
          code: 'courier.not_found',
        },
      ]
      for (const c of cases) {
        const answer = await server.api.raw('PUT', c.path ?? path, {
          token: supervisor.token,
          json: c.json,
          body: c.body,
        })
        expect([JSON.stringify(c.json ?? c.body), answer.status, errorOf(answer.json).code]).toEqual([
          JSON.stringify(c.json ?? c.body),
          c.status,
          c.code,
        ])
      }
      const big = await server.api.raw('PUT', path, {
        token: supervisor.token,
        json: { date: DAY, receivedFen: 1, version: 0, note: 'x'.repeat(2 * 1024 * 1024) },
      })
      expect([big.status, errorOf(big.json).code]).toEqual([413, 'request.too_large'])
      const text = await server.api.raw('PUT', path, {
        token: supervisor.token,
        body: 'receivedFen=6660',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
      expect(text.status).toBe(415)
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('records cash received with an audit entry of who and when; a discrepancy needs a note; stale versions are refused', async () => {
      const dashboard = supervisor.dashboard
      const first = await dashboard.recordCash(courier.fixture.courierId, {
        date: DAY,
        receivedFen: 6000,
        version: 0,
        note: '少收60元，明天补',
      })
      expect(first.row).toMatchObject({
        expectedFen: 6660,
        declaredFen: 6660,
        receivedFen: 6000,
        discrepancyFen: -660,
        status: 'discrepancy',
        version: 1,
        note: '少收60元，明天补',
        recordedBy: { supervisorId: supervisor.supervisorId },
        recordedAt: new Date(clock).toISOString(),
      })
      expect(first.audit).toMatchObject({
        action: 'recorded',
        previousFen: null,
        receivedFen: 6000,
        expectedFen: 6660,
        supervisor: { supervisorId: supervisor.supervisorId, name: '张伟' },
        at: new Date(clock).toISOString(),
      })

      clock += 60_000
      // The same again is no change: no new version, no audit entry.
      const same = await dashboard.recordCash(courier.fixture.courierId, {
        date: DAY,
        receivedFen: 6000,
        version: 1,
        note: '少收60元，明天补',
      })
      expect([same.row.version, same.audit]).toEqual([1, null])
      // Another supervisor of the depot corrects it; the first one's stale version is refused.
      const second = await supervisorSession(server, courier.fixture.depotId)
      const fixed = await second.dashboard.recordCash(courier.fixture.courierId, {
        date: DAY,
        receivedFen: 6660,
        version: 1,
      })
      expect(fixed.row).toMatchObject({ status: 'balanced', discrepancyFen: 0, version: 2, note: null })
      expect(fixed.audit).toMatchObject({ action: 'changed', previousFen: 6000, receivedFen: 6660 })
      const stale = await server.api.raw('PUT', `/api/v1/depot/dashboard/cash/${courier.fixture.courierId}`, {
        token: supervisor.token,
        json: { date: DAY, receivedFen: 7000, version: 1, note: 'again' },
      })
      expect([stale.status, errorOf(stale.json).code, errorOf(stale.json).details.version]).toEqual([
        409,
        'cash.version_conflict',
        2,
      ])

      const view = await dashboard.cash({ date: DAY })
      expect(view.couriers.find((row) => row.courier.courierId === courier.fixture.courierId)).toMatchObject({
        receivedFen: 6660,
        status: 'balanced',
        version: 2,
        recordedBy: { supervisorId: second.supervisorId },
      })
      expect(
        view.audit.map((entry) => [
          entry.action,
          entry.previousFen,
          entry.receivedFen,
          entry.supervisor.supervisorId,
          entry.at,
        ]),
      ).toEqual([
        ['changed', 6000, 6660, second.supervisorId, new Date(clock).toISOString()],
        ['recorded', null, 6000, supervisor.supervisorId, new Date(NOON).toISOString()],
      ])
      const rows = await server.db.selectFrom('depot_audit').selectAll().execute()
      expect(rows).toHaveLength(2)
    })

    it('logs a supervisor out: the token stops working', async () => {
      const session = await supervisorSession(server, courier.fixture.depotId)
      const out = await server.api.raw('DELETE', '/api/v1/depot/sessions/current', { token: session.token })
      expect([out.status, out.json]).toEqual([200, { loggedOut: true }])
      const after = await server.api.raw('GET', '/api/v1/depot/dashboard/couriers', { token: session.token })
      expect([after.status, errorOf(after.json).code]).toEqual([401, 'auth.invalid'])
      expect((await supervisor.dashboard.couriers({ date: DAY })).couriers.length).toBeGreaterThan(0)
    })
  })
}
