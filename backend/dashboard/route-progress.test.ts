import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DeviceEvent } from '../../shared/api/events'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'

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
