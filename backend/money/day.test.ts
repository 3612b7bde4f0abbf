import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { MoneyDayResponse, RefundView } from '../../shared/api/closure'
import { DepotFlagsResponse } from '../../shared/api/depot'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { databasesUnderTest } from '../testing/databases'

/**
 * The money views tell the truth (issue 12, section 7): digital counts only what the acquirer confirmed, a "to be
 * verified" payment the acquirer never had is owed rather than collected, and refunds due and paid are in every
 * total, with collected, refunded and net.
 */
for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`money of the day on ${kind}`, () => {
    let server: TestBackend
    let courier: LoggedInCourier
    let supervisor: SupervisorSessionFixture
    let rival: SupervisorSessionFixture
    let elsewhere: LoggedInCourier

    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        config: {
          refunds: { queryAfterMs: 200, pollMs: 50, retryMaxMs: 500 },
          settlement: { pollMs: 50, retryBaseMs: 50, retryMaxMs: 200 },
        },
      })
      courier = await loggedInCourier(server, {
        orders: [{ codFen: 6660 }, { codFen: 3000 }, { codFen: 2000 }, { codFen: 5000 }, { codFen: 1500 }],
      })
      supervisor = await supervisorSession(server, courier.fixture.depotId)
      elsewhere = await loggedInCourier(server, { orders: [{ codFen: 4200 }] })
      rival = await supervisorSession(server, elsewhere.fixture.depotId)
    })
    afterAll(async () => server?.stop())

    const money = async (token = supervisor.token) =>
      MoneyDayResponse.parse((await server.api.raw('GET', '/api/v1/depot/dashboard/money', { token })).json)
    const completed = (index: number, method: 'digital' | 'cash', occurredAt?: string) => {
      const order = courier.order(index)
      return courier.events.next(
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
        occurredAt,
      )
    }

    it('counts confirmed digital, cash, awaiting, owed and refunds due, then paid, in every total', async () => {
      expect((await money()).totals).toMatchObject({ collectedFen: 0, netFen: 0, owedFen: 0 })
      const push = (events: ReturnType<typeof completed>[]) =>
        server.api.push(courier.device.deviceToken, courier.device.deviceId, events)
      // 0: paid digitally and confirmed. 1: cash. 4: delivered digitally, the confirmation still to come.
      await server.api.pay(courier.order(0).intent!.qrPayload)
      await push([completed(0, 'digital'), completed(1, 'cash'), completed(4, 'digital')])
      // 2: "paid, to be verified", which the acquirer never had: owed.
      const third = courier.order(2)
      await push([
        courier.events.next({
          type: 'payment.unverified',
          payload: { orderId: third.orderId, intentId: third.intent!.intentId, amountFen: third.codFen },
        }),
        completed(2, 'digital'),
      ])
      // 3: the customer paid the QR, then the courier took cash as well: paid twice, a refund due.
      const paid = await server.api.pay(courier.order(3).intent!.qrPayload)
      await push([completed(3, 'cash', new Date(Date.parse(paid.paidAt) + 1_000).toISOString())])

      await vi.waitFor(
        async () => expect((await money()).totals).toMatchObject({ owedFen: 2000, refundsDueFen: 5000 }),
        15_000,
      )
      const before = await money()
      expect(before.totals).toEqual({
        digitalConfirmedFen: 6660 + 5000,
        digitalConfirmedCount: 2,
        digitalAwaitingFen: 1500,
        owedFen: 2000,
        owedCount: 1,
        cashFen: 3000 + 5000,
        collectedFen: 6660 + 5000 + 3000 + 5000,
        refundsDueFen: 5000,
        refundsDueCount: 1,
        refundsPaidFen: 0,
        refundsPaidCount: 0,
        netFen: 6660 + 5000 + 3000 + 5000,
      })
      expect(before.couriers).toEqual([
        { courier: expect.objectContaining({ courierId: courier.fixture.courierId }), ...before.totals },
      ])
      // Another depot sees its own courier, with nothing of this depot's money.
      const theirs = await money(rival.token)
      expect(theirs.couriers.map((c) => c.courier.courierId)).toEqual([elsewhere.fixture.courierId])
      expect(theirs.totals).toMatchObject({ collectedFen: 0, refundsDueFen: 0, owedFen: 0, netFen: 0 })

      const flags = await server.api.call('GET', '/api/v1/depot/flags', DepotFlagsResponse, { token: supervisor.token })
      const flag = flags.flags.find((f) => f.kind === 'double_payment')!
      const approved = await server.api.raw('POST', '/api/v1/depot/refunds', {
        token: supervisor.token,
        json: { flagId: flag.flagId, note: 'paid twice at the door' },
      })
      RefundView.parse(approved.json)
      // Approved, not yet paid back: still due.
      expect((await money()).totals).toMatchObject({ refundsDueFen: 5000, refundsDueCount: 1, refundsPaidFen: 0 })
      await vi.waitFor(async () => expect((await money()).totals.refundsPaidFen).toBe(5000), 15_000)
      expect((await money()).totals).toMatchObject({
        refundsDueFen: 0,
        refundsPaidFen: 5000,
        refundsPaidCount: 1,
        collectedFen: 19660,
        netFen: 19660 - 5000,
      })
    })
  })
}
