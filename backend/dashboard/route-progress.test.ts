import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DeviceEvent } from '../../shared/api/events'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { errorOf } from '../testing/api'
import { snapshotTables } from '../testing/snapshot'

const DAY = '2026-03-02'
const at = (time: string): string => `${DAY}T${time}+08:00`
const HOUR = 3_600_000

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`who is behind, against each courier's own route, on ${kind}`, () => {
    let server: TestBackend
    let clock = Date.parse(at('08:00:00'))
    let short: LoggedInCourier
    let supervisor: SupervisorSessionFixture

    const prepaid = (who: LoggedInCourier, index: number, time: string): DeviceEvent =>
      who.events.next(
        {
          type: 'delivery.completed',
          payload: {
            orderId: who.order(index).orderId,
            attempt: 1,
            method: 'prepaid',
            dueFen: 0,
            collectedFen: 0,
            intentId: null,
          },
        },
        at(time),
      )

    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        now: () => clock,
        config: { supervisorSessionTtlMs: 30 * 24 * HOUR },
      })
      // A short route of four orders: held to four, not to a flat 150.
      short = await loggedInCourier(server, {
        routeDate: DAY,
        orders: [{ codFen: 0 }, { codFen: 0 }, { codFen: 0 }, { codFen: 0 }],
      })
      supervisor = await supervisorSession(server, short.fixture.depotId)
      clock = Date.parse(at('10:00:00'))
      await server.api.push(short.device.deviceToken, short.device.deviceId, [
        prepaid(short, 0, '08:30:00'),
        prepaid(short, 1, '09:30:00'),
      ])
    })
    afterAll(async () => server?.stop())

    it("holds each courier to their own route's size by default: stops left, expected finish at their pace, idle time", async () => {
      const view = await supervisor.dashboard.couriers({ date: DAY })
      expect(view.targetSource).toBe('route')
      const mine = view.couriers.find((c) => c.courier.courierId === short.fixture.courierId)!
      // Two deliveries in the 1.5 hours since the first action: the two left take 1.5 hours more.
      expect(mine.route).toEqual({
        target: 4,
        targetSource: 'route',
        stopsLeft: 2,
        expectedFinishAt: new Date(at('11:30:00')).toISOString(),
        finishesInTime: true,
        idleMs: 30 * 60_000,
      })
      // Four by 20:00 at this pace, capped by the orders: on track for a route of four (a flat 150 said behind).
      expect(mine.projection).toEqual({ projected: 4, onTrack: true })
    })

    it('holds every courier to the target the supervisor sets instead', async () => {
      const view = await supervisor.dashboard.couriers({ date: DAY, target: 150 })
      expect(view.targetSource).toBe('supervisor')
      const mine = view.couriers.find((c) => c.courier.courierId === short.fixture.courierId)!
      expect(mine.route.target).toBe(150)
      expect(mine.projection.onTrack).toBe(false)
    })

    it("holds a courier to their own target for the day once set, over the day's one, until cleared", async () => {
      const put = (json: unknown, token = supervisor.token) =>
        server.api.raw('PUT', `/api/v1/depot/dashboard/targets/${short.fixture.courierId}`, { token, json })
      const targetOf = async (target?: number) =>
        (await supervisor.dashboard.couriers({ date: DAY, target })).couriers.find(
          (c) => c.courier.courierId === short.fixture.courierId,
        )!
      expect((await put({ date: DAY, target: 3 })).json).toEqual({
        courierId: short.fixture.courierId,
        date: DAY,
        target: 3,
      })
      for (const everyone of [undefined, 150]) {
        const mine = await targetOf(everyone)
        expect([mine.route.target, mine.route.targetSource, mine.projection.onTrack]).toEqual([3, 'courier', true])
      }
      // Kept per day: the next day the courier is held to their route again.
      const nextDay = (await supervisor.dashboard.couriers({ date: '2026-03-03' })).couriers.find(
        (c) => c.courier.courierId === short.fixture.courierId,
      )
      expect(nextDay?.route.targetSource ?? 'route').toBe('route')
      // Setting it again replaces it; bad bodies are refused and change nothing.
      await put({ date: DAY, target: 6 })
      expect((await targetOf()).route).toMatchObject({ target: 6, targetSource: 'courier' })
      await server.settled()
      const before = await snapshotTables(server.db)
      for (const json of [
        { date: DAY, target: 0 },
        { date: DAY, target: 1001 },
        { date: DAY, target: 2.5 },
        { date: DAY, target: '6' },
        { date: '2026-02-30', target: 6 },
        { target: 6 },
        { date: DAY, target: 6, courierId: 'cou_Other000001' },
      ]) {
        const answer = await put(json)
        expect([JSON.stringify(json), answer.status, errorOf(answer.json).code]).toEqual([
          JSON.stringify(json),
          400,
          'request.invalid',
        ])
      }
      const unknown = await server.api.raw('PUT', '/api/v1/depot/dashboard/targets/cou_Nobody0000001', {
        token: supervisor.token,
        json: { date: DAY, target: 6 },
      })
      expect([unknown.status, errorOf(unknown.json).code]).toEqual([404, 'courier.not_found'])
      expect(await snapshotTables(server.db)).toEqual(before)
      // Cleared: back to the route's size.
      await put({ date: DAY, target: null })
      expect((await targetOf()).route).toMatchObject({ target: 4, targetSource: 'route' })
    })

    it('says a courier finishes late when their pace will not clear the route before the day ends', async () => {
      clock = Date.parse(at('19:50:00'))
      const view = await supervisor.dashboard.couriers({ date: DAY })
      const mine = view.couriers.find((c) => c.courier.courierId === short.fixture.courierId)!
      expect(mine.route.finishesInTime).toBe(false)
      expect(Date.parse(mine.route.expectedFinishAt!)).toBeGreaterThan(Date.parse(view.dayEndsAt))
      expect(mine.route.idleMs).toBe(clock - Date.parse(at('09:30:00')))
      // A past day has no pace or idle time to speak of.
      clock = Date.parse('2026-03-03T10:00:00+08:00')
      const past = (await supervisor.dashboard.couriers({ date: DAY })).couriers[0]!
      expect(past.route).toMatchObject({ target: 4, stopsLeft: 2, expectedFinishAt: null, idleMs: null })
    })
  })
}
