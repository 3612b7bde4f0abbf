import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ImportStatementResponse, MoneyDayResponse } from '../../shared/api/closure'
import { decodeCollectionQr } from '../../shared/emv/collection-qr'
import { ApiCallError, errorOf } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { supervisorSession } from '../testing/dashboard'
import { databasesUnderTest } from '../testing/databases'
import { snapshotTables } from '../testing/snapshot'
import { readStatement } from '../statements/format'

const shanghaiDateOf = (iso: string) => new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 10)

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ApiCallError) return { status: error.status, code: error.code }
    throw error
  }
  return { status: 200, code: 'accepted' }
}

/**
 * Split payment (issue 12 §6): part digital through an intent of its own, the rest in cash, recorded as two
 * collections on one order. The whole-amount intent made ahead is withdrawn so it ends in a final state.
 */
for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`split payments on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({ database: kind, config: { intentTtlMs: 30 * 60_000 } })
    })
    afterAll(async () => server?.stop())
    afterEach(async () => {
      await server.api.setBehaviour({})
    })

    const intentRow = (intentId: string) =>
      server.db.selectFrom('payment_intents').selectAll().where('id', '=', intentId).executeTakeFirstOrThrow()
    const waitPaid = (courier: LoggedInCourier, intentId: string) =>
      expect.poll(async () => (await server.api.intent(courier.shift.shiftToken, intentId)).status).toBe('paid')

    /** The device's two collections: the part's payment as it learned it, then the delivery with the cash rest. */
    const pushSplit = (courier: LoggedInCourier, part: { intentId: string; amountFen: number }, dueFen: number) => {
      const orderId = courier.order(0).orderId
      return server.api.push(courier.device.deviceToken, courier.device.deviceId, [
        courier.events.next({
          type: 'delivery.completed',
          payload: {
            orderId,
            attempt: 1,
            method: 'split',
            dueFen,
            collectedFen: dueFen - part.amountFen,
            intentId: part.intentId,
          },
        }),
      ])
    }

    it('opens an intent for the digital part, withdraws the whole one, and records two collections', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 250_000 }] })
      const whole = courier.order(0).intent!
      const splitKey = randomUUID()
      const part = await server.api.split(courier.shift.shiftToken, whole.intentId, { digitalFen: 200_000, splitKey })
      expect(part).toMatchObject({ orderId: whole.orderId, amountFen: 200_000, status: 'pending' })
      expect(part.intentId).not.toBe(whole.intentId)
      expect(decodeCollectionQr(part.qrPayload)).toMatchObject({ intentId: part.intentId, amountFen: 200_000 })
      // A retry of the same split (a lost answer) is the same intent, not a second one.
      const again = await server.api.split(courier.shift.shiftToken, whole.intentId, { digitalFen: 200_000, splitKey })
      expect(again.intentId).toBe(part.intentId)
      expect(
        await server.db.selectFrom('payment_intents').select('id').where('order_id', '=', whole.orderId).execute(),
      ).toHaveLength(2)

      // The whole-amount QR is closed at the acquirer and ends in a final state there and here.
      await server.settled()
      expect((await server.api.acquirerRecord(server.sandbox!.identity.apiKey, whole.intentId)).status).toBe(
        'cancelled',
      )
      expect(await intentRow(whole.intentId)).toMatchObject({ status: 'cancelled', final_state: 'cancelled' })
      expect(await refusal(server.api.pay(whole.qrPayload))).toEqual({ status: 409, code: 'intent.cancelled' })

      const paid = await server.api.pay(part.qrPayload)
      expect(paid.amountFen).toBe(200_000)
      await waitPaid(courier, part.intentId)
      const pushed = await pushSplit(courier, part, 250_000)
      expect(pushed.results.map((r) => r.status)).toEqual(['applied'])

      const order = await server.db
        .selectFrom('orders')
        .selectAll()
        .where('id', '=', whole.orderId)
        .executeTakeFirstOrThrow()
      expect(order).toMatchObject({ status: 'delivered', delivered_method: 'split', collected_cash_fen: 50_000 })
      const payments = await server.db.selectFrom('payments').selectAll().where('order_id', '=', order.id).execute()
      expect(payments.map((p) => [p.intent_id, p.amount_fen])).toEqual([[part.intentId, 200_000]])

      // Totals: ¥2,000.00 digital confirmed and ¥500.00 cash to hand in, one delivery.
      const supervisor = await supervisorSession(server, courier.fixture.depotId)
      const { couriers } = await supervisor.dashboard.couriers({ date: courier.manifest.routeDate })
      const mine = couriers.find((c) => c.courier.courierId === courier.fixture.courierId)!
      expect(mine.orders.delivered).toBe(1)
      expect(mine.cod).toMatchObject({ digitalFen: 200_000, cashFen: 50_000, digitalAwaitingFen: 0 })
      const cash = await supervisor.dashboard.cash({ date: courier.manifest.routeDate })
      expect(cash.couriers.find((row) => row.courier.courierId === courier.fixture.courierId)?.expectedFen).toBe(50_000)
      expect(
        await server.db.selectFrom('flags').select('kind').where('order_id', '=', order.id).execute(),
      ).toHaveLength(0)

      const money = await server.api.call(
        'GET',
        `/api/v1/depot/dashboard/money?date=${courier.manifest.routeDate}`,
        MoneyDayResponse,
        { token: supervisor.token },
      )
      expect(money.couriers.find((c) => c.courier.courierId === courier.fixture.courierId)).toMatchObject({
        digitalConfirmedFen: 200_000,
        digitalAwaitingFen: 0,
        cashFen: 50_000,
        collectedFen: 250_000,
      })

      // The acquirer's statement has a line for the part amount, and it matches the backend's payment.
      const key = server.sandbox!.identity.apiKey
      const date = shanghaiDateOf(paid.paidAt)
      const csv = await server.api.merchant(key).statement(date)
      expect(readStatement(csv, key).lines.find((l) => l.transactionId === paid.transactionId)).toMatchObject({
        amountFen: 200_000,
      })
      const imported = await server.api.raw('POST', '/api/v1/depot/statements', {
        token: supervisor.token,
        json: { csv },
      })
      expect(imported.status).toBe(200)
      expect(ImportStatementResponse.parse(imported.json)).toMatchObject({ imported: true, mismatches: [] })
    })

    it('lets a customer pay the part with their payment code', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 9_990 }] })
      const whole = courier.order(0).intent!
      const part = await server.api.split(courier.shift.shiftToken, whole.intentId, {
        digitalFen: 5_000,
        splitKey: randomUUID(),
      })
      const code = (await server.api.setWallet('wallet-split-nopin')).paymentCode.code
      const charged = await server.api.raw('POST', `/api/v1/intents/${part.intentId}/charge`, {
        token: courier.shift.shiftToken,
        json: { authCode: code },
      })
      expect(charged.status).toBe(200)
      await waitPaid(courier, part.intentId)
      expect((await intentRow(part.intentId)).amount_fen).toBe(5_000)
      // The cancelled whole-amount intent cannot be charged any more.
      const wholeCharge = await server.api.raw('POST', `/api/v1/intents/${whole.intentId}/charge`, {
        token: courier.shift.shiftToken,
        json: { authCode: (await server.api.refreshCode('wallet-split-nopin')).paymentCode.code },
      })
      expect([wholeCharge.status, errorOf(wholeCharge.json).code]).toEqual([409, 'intent.not_payable'])
      expect((await pushSplit(courier, part, 9_990)).results[0]!.status).toBe('applied')
    })

    it('flags a customer who also paid the whole-amount QR as paid twice, never merged', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 30_000 }] })
      const whole = courier.order(0).intent!
      // The customer pays the old QR; its notification is slow, so the backend does not know when the split comes.
      await server.api.setBehaviour({ holdNotifications: true })
      const first = await server.api.pay(whole.qrPayload)
      const part = await server.api.split(courier.shift.shiftToken, whole.intentId, {
        digitalFen: 10_000,
        splitKey: randomUUID(),
      })
      // The withdrawal finds the whole-amount intent paid: the payment is recorded, not lost.
      await expect.poll(async () => (await intentRow(whole.intentId)).status, { timeout: 10_000 }).toBe('paid')
      expect((await intentRow(whole.intentId)).transaction_id).toBe(first.transactionId)
      await server.api.setBehaviour({})
      await server.api.pay(part.qrPayload)
      await waitPaid(courier, part.intentId)
      expect((await pushSplit(courier, part, 30_000)).results[0]!.status).toBe('applied')
      await expect
        .poll(async () =>
          (await server.db.selectFrom('flags').select('kind').where('order_id', '=', whole.orderId).execute()).map(
            (f) => f.kind,
          ),
        )
        .toContain('double_payment')
    })

    it('refuses a bad part, a paid or closed order, a reused key and other tokens, changing nothing', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 6_660 }, { codFen: 8_800 }] })
      const other = await loggedInCourier(server, { orders: [{ codFen: 6_660 }] })
      const supervisor = await supervisorSession(server, courier.fixture.depotId)
      const open = courier.order(0).intent!
      const paidOrder = courier.order(1).intent!
      await server.api.pay(paidOrder.qrPayload)
      await waitPaid(courier, paidOrder.intentId)
      const used = randomUUID()
      await server.api.split(courier.shift.shiftToken, open.intentId, { digitalFen: 1_000, splitKey: used })
      await server.settled()

      const ignore = { devices: ['last_contact_ms'], payment_intents: ['checked_ms'] }
      const before = await snapshotTables(server.db, ignore)
      const post = (intentId: string, json: unknown, token = courier.shift.shiftToken) =>
        server.api.raw('POST', `/api/v1/intents/${intentId}/split`, { token, json })
      const key = randomUUID()
      for (const [answer, status, code] of [
        [await post(open.intentId, { digitalFen: 6_660, splitKey: key }), 422, 'split.bad_amount'],
        [await post(open.intentId, { digitalFen: 9_000, splitKey: key }), 422, 'split.bad_amount'],
        [await post(open.intentId, { digitalFen: 0, splitKey: key }), 400, 'request.invalid'],
        [await post(open.intentId, { digitalFen: 1.5, splitKey: key }), 400, 'request.invalid'],
        [await post(open.intentId, { digitalFen: 100, splitKey: 'not-a-key' }), 400, 'request.invalid'],
        [await post(open.intentId, { digitalFen: 2_000, splitKey: used }), 409, 'split.key_reused'],
        [await post(paidOrder.intentId, { digitalFen: 100, splitKey: key }), 409, 'intent.already_paid'],
        [await post(open.intentId, { digitalFen: 100, splitKey: key }, other.shift.shiftToken), 403, 'auth.forbidden'],
        [await post(open.intentId, { digitalFen: 100, splitKey: key }, supervisor.token), 401, undefined],
        [await post(open.intentId, { digitalFen: 100, splitKey: key }, courier.device.deviceToken), 401, undefined],
        [await post('pi_doesnotexist', { digitalFen: 100, splitKey: key }), 404, 'intent.not_found'],
      ] as const) {
        expect(answer.status, JSON.stringify(answer.json)).toBe(status)
        if (code) expect(errorOf(answer.json).code).toBe(code)
      }
      expect(await snapshotTables(server.db, ignore)).toEqual(before)

      // A delivered order takes no split.
      await server.api.push(courier.device.deviceToken, courier.device.deviceId, [
        courier.events.next({
          type: 'delivery.completed',
          payload: {
            orderId: paidOrder.orderId,
            attempt: 1,
            method: 'digital',
            dueFen: 8_800,
            collectedFen: 8_800,
            intentId: paidOrder.intentId,
          },
        }),
      ])
      expect(
        await refusal(
          server.api.split(courier.shift.shiftToken, paidOrder.intentId, { digitalFen: 100, splitKey: randomUUID() }),
        ),
      ).toEqual({ status: 409, code: 'order.closed' })
    })

    it('refuses a split completion that does not add up to the amount due or names a whole-amount intent', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 12_000 }] })
      const whole = courier.order(0).intent!
      const part = await server.api.split(courier.shift.shiftToken, whole.intentId, {
        digitalFen: 7_000,
        splitKey: randomUUID(),
      })
      const orderId = whole.orderId
      const completion = (collectedFen: number, intentId: string) =>
        courier.events.next({
          type: 'delivery.completed',
          payload: { orderId, attempt: 1, method: 'split', dueFen: 12_000, collectedFen, intentId },
        })
      const pushed = await server.api.push(courier.device.deviceToken, courier.device.deviceId, [
        completion(4_000, part.intentId),
        completion(5_000, whole.intentId),
      ])
      expect(pushed.results.map((r) => r.reason)).toEqual(['amount.collected_mismatch', 'split.not_a_part'])
      expect(
        (await server.db.selectFrom('orders').select('status').where('id', '=', orderId).executeTakeFirstOrThrow())
          .status,
      ).toBe('pending')
    })
  })
}
