import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { API_PREFIX } from '../../shared/api/common'
import {
  canonicalDayCloseFigures,
  CloseDayResponse,
  DayReportResponse,
  type CloseDayRequest,
  type DayReport,
} from '../../shared/api/day-close'
import type { DeviceEvent } from '../../shared/api/events'
import { errorOf } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { databasesUnderTest } from '../testing/databases'
import { supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { snapshotTables } from '../testing/snapshot'

const DAY = '2026-03-02'
const at = (time: string): string => `${DAY}T${time}+08:00`
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`day close on ${kind}`, () => {
    let server: TestBackend
    let clock = Date.parse(at('08:00:00'))
    let courier: LoggedInCourier
    let other: LoggedInCourier
    let elsewhere: LoggedInCourier
    let supervisor: SupervisorSessionFixture
    let second: SupervisorSessionFixture
    let rival: SupervisorSessionFixture

    const push = (who: LoggedInCourier, events: DeviceEvent[]) =>
      server.api.push(who.device.deviceToken, who.device.deviceId, events)
    const cash = (who: LoggedInCourier, index: number, collectedFen: number, time: string): DeviceEvent =>
      who.events.next(
        {
          type: 'delivery.completed',
          payload: {
            orderId: who.order(index).orderId,
            attempt: 1,
            method: 'cash',
            dueFen: who.order(index).codFen,
            collectedFen,
            intentId: null,
          },
        },
        at(time),
      )
    const close = (who: SupervisorSessionFixture, body: CloseDayRequest, date = DAY) =>
      server.api.raw('POST', `${API_PREFIX}/depot/days/${date}/close`, { token: who.token, json: body })
    const closeOk = async (who: SupervisorSessionFixture, body: CloseDayRequest) => {
      const answer = await close(who, body)
      expect(answer.status, JSON.stringify(answer.json)).toBe(200)
      return CloseDayResponse.parse(answer.json)
    }
    const report = async (who: SupervisorSessionFixture, courierId?: string): Promise<DayReport[]> => {
      const query = courierId ? `?courierId=${courierId}` : ''
      const answer = await server.api.raw('GET', `${API_PREFIX}/depot/days/${DAY}/report${query}`, {
        token: who.token,
      })
      expect(answer.status, JSON.stringify(answer.json)).toBe(200)
      return DayReportResponse.parse(answer.json).couriers
    }

    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        now: () => clock,
        config: { settlement: { pollMs: 100, retryBaseMs: 50, retryMaxMs: 200 } },
      })
      courier = await loggedInCourier(server, {
        routeDate: DAY,
        orders: [{ codFen: 6660 }, { codFen: 12000 }, { codFen: 5000 }, { codFen: 3000 }],
      })
      other = await loggedInCourier(server, {
        depotId: courier.fixture.depotId,
        routeDate: DAY,
        orders: [{ codFen: 2500 }],
      })
      elsewhere = await loggedInCourier(server, { routeDate: DAY, orders: [{ codFen: 100 }] })
      clock = Date.parse(at('17:30:00'))
      supervisor = await supervisorSession(server, courier.fixture.depotId)
      second = await supervisorSession(server, courier.fixture.depotId)
      rival = await supervisorSession(server, elsewhere.fixture.depotId)
      clock = Date.parse(at('18:00:00'))

      // Order 0 in full, order 2 short by ¥5.00 (the courier confirmed it), order 1 "to be verified" and never seen.
      await push(courier, [
        cash(courier, 0, 6660, '09:00:00'),
        cash(courier, 2, 4500, '09:30:00'),
        courier.events.next(
          {
            type: 'payment.unverified',
            payload: {
              orderId: courier.order(1).orderId,
              intentId: courier.order(1).intent!.intentId,
              amountFen: 12000,
            },
          },
          at('10:00:00'),
        ),
        courier.events.next({ type: 'shift.cash_declared', payload: { declaredFen: 11160 } }, at('17:00:00')),
      ])
      await push(other, [cash(other, 0, 2500, '11:00:00')])
      await vi.waitFor(async () => {
        const row = await server.db
          .selectFrom('settlements')
          .select('status')
          .where('order_id', '=', courier.order(1).orderId)
          .executeTakeFirstOrThrow()
        if (row.status !== 'not_found') throw new Error(`settlement still ${row.status}`)
      }, 15_000)
      // Received ¥111.00 against ¥111.60 expected, with a note.
      await supervisor.dashboard.recordCash(courier.fixture.courierId, {
        date: DAY,
        receivedFen: 11100,
        note: 'sixty fen in the van',
        version: 0,
        denominations: { n100: 1, n50: 0, n20: 0, n10: 1, n5: 0, n1: 1, coinsFen: 0 },
      })
      await server.settled()
    })
    afterAll(async () => server?.stop())

    it("shows an open day's live figures: methods, shortfalls, money owed, hand-in and its note, with a checksum", async () => {
      const [mine] = await report(supervisor, courier.fixture.courierId)
      expect(mine!.status).toBe('open')
      expect(mine!.figures).toMatchObject({
        date: DAY,
        courierId: courier.fixture.courierId,
        delivered: 2,
        cashCount: 2,
        cashFen: 11160,
        shortfallCount: 1,
        shortfallFen: 500,
        owedCount: 1,
        owedFen: 12000,
        declaredFen: 11160,
        receivedFen: 11100,
        handinDifferenceFen: -60,
        closedBy: null,
      })
      expect(mine!.figures.discrepancies).toEqual([
        { kind: 'handin', amountFen: -60, waybill: null, note: 'sixty fen in the van' },
        { kind: 'owed_unverified', amountFen: -12000, waybill: courier.order(1).waybill, note: null },
        { kind: 'shortfall', amountFen: -500, waybill: courier.order(2).waybill, note: null },
      ])
      expect(mine!.checksum).toBe(sha256(canonicalDayCloseFigures(mine!.figures)))
      const cashView = await supervisor.dashboard.cash({ date: DAY })
      const row = cashView.couriers.find((c) => c.courier.courierId === courier.fixture.courierId)!
      expect(row.owed).toEqual({ shortfallCount: 1, shortfallFen: 500, unverifiedCount: 1, unverifiedFen: 12000 })
      expect(row.denominations).toEqual({ n100: 1, n50: 0, n20: 0, n10: 1, n5: 0, n1: 1, coinsFen: 0 })
      expect(row.closed).toBe(false)
    })

    it('refuses bad closes clearly and changes nothing', async () => {
      const before = await snapshotTables(server.db)
      const cases: [string, CloseDayRequest | Record<string, unknown>, number, string][] = [
        ['2026-03-03', {}, 422, 'day.not_over'],
        ['2026-02-20', {}, 422, 'day.nothing_to_close'],
        ['2026-02-30', {}, 400, 'request.invalid'],
        [DAY, { courierId: elsewhere.fixture.courierId }, 404, 'courier.not_found'],
        [DAY, { courierId: 'not-a-courier' }, 400, 'request.invalid'],
        [DAY, { depotId: elsewhere.fixture.depotId }, 400, 'request.invalid'],
        [DAY, { note: 'x'.repeat(501) }, 400, 'request.invalid'],
      ]
      for (const [date, body, status, code] of cases) {
        const answer = await server.api.raw('POST', `${API_PREFIX}/depot/days/${date}/close`, {
          token: supervisor.token,
          json: body,
        })
        expect([date, answer.status, errorOf(answer.json).code]).toEqual([date, status, code])
      }
      // Another depot's supervisor cannot close or read this depot's courier.
      const foreign = await close(rival, { courierId: courier.fixture.courierId })
      expect([foreign.status, errorOf(foreign.json).code]).toEqual([404, 'courier.not_found'])
      expect((await report(rival)).map((r) => r.courier.courierId)).toEqual([elsewhere.fixture.courierId])
      expect(await report(rival, courier.fixture.courierId)).toEqual([])
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('two supervisors closing the same day at once make one close; a second close changes nothing', async () => {
      clock = Date.parse(at('19:00:00'))
      const [a, b] = await Promise.all([
        closeOk(supervisor, { courierId: courier.fixture.courierId, note: 'all counted' }),
        closeOk(second, { courierId: courier.fixture.courierId, note: 'me too' }),
      ])
      expect([...a.newlyClosed, ...b.newlyClosed]).toEqual([courier.fixture.courierId])
      expect(a.reports[0]!.checksum).toBe(b.reports[0]!.checksum)
      const rows = await server.db.selectFrom('day_closes').selectAll().execute()
      expect(rows).toHaveLength(1)
      const closedBy = rows[0]!.closed_by
      expect([supervisor.supervisorId, second.supervisorId]).toContain(closedBy)

      const before = await snapshotTables(server.db)
      clock += 60_000
      const again = await closeOk(supervisor, { courierId: courier.fixture.courierId })
      expect(again.newlyClosed).toEqual([])
      expect(again.reports[0]).toEqual(a.reports[0])
      expect(await snapshotTables(server.db)).toEqual(before)

      const [closed] = await report(supervisor, courier.fixture.courierId)
      expect(closed).toMatchObject({ status: 'closed', closedBy: { supervisorId: closedBy }, lateEvents: [] })
      expect(closed!.figures).toMatchObject({ closedBy, closedMs: Date.parse(at('19:00:00')), cashFen: 11160 })
      expect(closed!.checksum).toBe(sha256(canonicalDayCloseFigures(closed!.figures)))
      expect(closed!.checksum).toBe(rows[0]!.checksum)
      const cashRow = (await supervisor.dashboard.cash({ date: DAY })).couriers.find(
        (c) => c.courier.courierId === courier.fixture.courierId,
      )!
      expect(cashRow.closed).toBe(true)
    })

    it('refuses a hand-in or a resolution for a closed day, changing nothing', async () => {
      const before = await snapshotTables(server.db)
      const handin = await server.api.raw('PUT', `${API_PREFIX}/depot/dashboard/cash/${courier.fixture.courierId}`, {
        token: supervisor.token,
        json: { date: DAY, receivedFen: 11160, version: 1 },
      })
      expect([handin.status, errorOf(handin.json).code]).toEqual([409, 'day.closed'])
      const item = (await supervisor.dashboard.attention({ date: DAY })).items.find(
        (i) => i.kind === 'unverified_not_found',
      )!
      expect(item.courier?.courierId).toBe(courier.fixture.courierId)
      const resolve = await server.api.raw('POST', `${API_PREFIX}/depot/attention/${item.itemId}/resolve`, {
        token: supervisor.token,
        json: { action: 'owed_by_courier', note: 'owes it' },
      })
      expect([resolve.status, errorOf(resolve.json).code]).toEqual([409, 'day.closed'])
      expect(await snapshotTables(server.db)).toEqual(before)
      // The other courier's day is still open: their hand-in goes in.
      await supervisor.dashboard.recordCash(other.fixture.courierId, { date: DAY, receivedFen: 2500, version: 0 })
    })

    it('applies a late event for a closed day, lists it against the day and in the work queue, never in the report', async () => {
      const [closed] = await report(supervisor, courier.fixture.courierId)
      clock = Date.parse(at('20:00:00'))
      const late = cash(courier, 3, 3000, '16:00:00')
      const answer = await push(courier, [late])
      expect(answer.results[0]).toMatchObject({ status: 'applied' })
      const [after] = await report(supervisor, courier.fixture.courierId)
      expect(after!.figures).toEqual(closed!.figures)
      expect(after!.checksum).toBe(closed!.checksum)
      expect(after!.lateEvents).toEqual([
        {
          deviceId: courier.device.deviceId,
          seq: late.seq,
          type: 'delivery.completed',
          orderId: courier.order(3).orderId,
          waybill: courier.order(3).waybill,
          occurredAt: new Date(at('16:00:00')).toISOString(),
          receivedAt: new Date(clock).toISOString(),
        },
      ])
      // The dashboard's live figures took it in; the closed report did not.
      const couriers = await supervisor.dashboard.couriers({ date: DAY })
      expect(couriers.couriers.find((c) => c.courier.courierId === courier.fixture.courierId)!.cod.cashFen).toBe(14160)
      const queue = await supervisor.dashboard.attention({ date: DAY })
      const item = queue.items.find((i) => i.kind === 'late_after_close')!
      expect(item).toMatchObject({
        itemId: `late:${courier.device.deviceId}:${late.seq}`,
        waybill: courier.order(3).waybill,
        detail: 'delivery.completed',
        actions: ['resolve'],
      })
      // The same batch again adds nothing.
      await push(courier, [late])
      expect((await report(supervisor, courier.fixture.courierId))[0]!.lateEvents).toHaveLength(1)
      // Seeing to it is the one resolution a closed day takes.
      const resolved = await supervisor.dashboard.resolve(item.itemId, { action: 'resolve', note: 'cash brought in' })
      expect(resolved.item.resolution).toMatchObject({ action: 'resolve', note: 'cash brought in' })
    })

    it('closes the whole depot for the day: every courier not closed yet, the others as they were', async () => {
      const result = await closeOk(supervisor, {})
      expect(result.newlyClosed).toEqual([other.fixture.courierId])
      expect(result.reports.map((r) => r.courier.courierId).sort()).toEqual(
        [courier.fixture.courierId, other.fixture.courierId].sort(),
      )
      expect(result.reports.find((r) => r.courier.courierId === other.fixture.courierId)!.figures).toMatchObject({
        cashFen: 2500,
        receivedFen: 2500,
        handinDifferenceFen: 0,
        discrepancies: [],
      })
      expect((await closeOk(second, {})).newlyClosed).toEqual([])
      // The rival depot's day is untouched.
      expect((await report(rival))[0]!.status).toBe('open')
    })

    it('a late event racing the close is either in the closed figures or listed after them, never lost', async () => {
      clock = Date.parse('2026-03-03T08:00:00+08:00')
      const boss = await supervisorSession(server, courier.fixture.depotId)
      const racers = await Promise.all(
        Array.from({ length: 6 }, () =>
          loggedInCourier(server, {
            depotId: courier.fixture.depotId,
            routeDate: '2026-03-03',
            orders: [{ codFen: 1000 }],
          }),
        ),
      )
      clock = Date.parse('2026-03-03T18:00:00+08:00')
      for (const racer of racers) {
        const event = racer.events.next(
          {
            type: 'delivery.completed',
            payload: {
              orderId: racer.order(0).orderId,
              attempt: 1,
              method: 'cash',
              dueFen: 1000,
              collectedFen: 1000,
              intentId: null,
            },
          },
          '2026-03-03T17:00:00+08:00',
        )
        const [pushed, closed] = await Promise.all([
          push(racer, [event]),
          server.api.raw('POST', `${API_PREFIX}/depot/days/2026-03-03/close`, {
            token: boss.token,
            json: { courierId: racer.fixture.courierId },
          }),
        ])
        expect(pushed.results[0]).toMatchObject({ status: 'applied' })
        expect(closed.status).toBe(200)
        const answer = await server.api.raw(
          'GET',
          `${API_PREFIX}/depot/days/2026-03-03/report?courierId=${racer.fixture.courierId}`,
          { token: boss.token },
        )
        const [day] = DayReportResponse.parse(answer.json).couriers
        const counted = day!.figures.cashCount === 1 && day!.figures.cashFen === 1000
        const listed = day!.lateEvents.length === 1 && day!.lateEvents[0]!.seq === event.seq
        expect(day!.status).toBe('closed')
        expect([counted, listed].filter(Boolean)).toHaveLength(1)
      }
    })
  })
}
