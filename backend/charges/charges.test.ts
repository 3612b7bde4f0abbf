import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ChargeResponse } from '../../shared/api/charges'
import { errorOf } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { databasesUnderTest } from '../testing/databases'

const QUERY_MIN_MS = 150
const QUERY_MAX_MS = 250
const QUERY_FOR_MS = 1_500

/**
 * The courier scans the customer's payment code (DESIGN section 4a): the backend charges it under a number
 * derived from the intent, follows "user paying" by querying every `queryMin..queryMax` (3–5 s in production,
 * scaled down here) for up to `queryFor` (60 s), then revokes; a payment that lands after the revoke is refunded.
 */
for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`charging a payment code on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        config: {
          charge: {
            answerTimeoutMs: 2_000,
            queryMinMs: QUERY_MIN_MS,
            queryMaxMs: QUERY_MAX_MS,
            queryForMs: QUERY_FOR_MS,
            pollMs: 25,
          },
          refunds: { queryAfterMs: 200, pollMs: 50, retryMaxMs: 500 },
        },
      })
    })
    afterAll(async () => server?.stop())
    afterEach(async () => {
      await server.api.setBehaviour({})
    })

    const charge = (courier: LoggedInCourier, intentId: string, authCode: string) =>
      server.api.raw('POST', `/api/v1/intents/${intentId}/charge`, {
        token: courier.shift.shiftToken,
        json: { authCode },
      })
    const chargeOf = async (courier: LoggedInCourier, chargeNo: string) =>
      server.api.call('GET', `/api/v1/charges/${chargeNo}`, ChargeResponse, { token: courier.shift.shiftToken })
    const intentRow = (intentId: string) =>
      server.db
        .selectFrom('payment_intents')
        .select(['status', 'final_state'])
        .where('id', '=', intentId)
        .executeTakeFirstOrThrow()

    it('charges a code with no PIN at once, and the same code again is the same charge', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 6660 }] })
      const intent = courier.order(0).intent!
      const code = (await server.api.setWallet('wallet-nopin')).paymentCode.code
      const first = await charge(courier, intent.intentId, code)
      expect(first.status).toBe(200)
      const charged = ChargeResponse.parse(first.json)
      expect(charged).toMatchObject({ intentId: intent.intentId, amountFen: 6660, status: 'paid' })
      expect(charged.code).not.toContain(code.slice(2, 12))
      expect(ChargeResponse.parse((await charge(courier, intent.intentId, code)).json).chargeNo).toBe(charged.chargeNo)
      expect(await intentRow(intent.intentId)).toEqual({ status: 'paid', final_state: 'paid' })
      expect((await chargeOf(courier, charged.chargeNo)).status).toBe('paid')
      const taken = server
        .sandbox!.store.sqlite.prepare('select count(*) as n from payments where intent_id = ?')
        .get(intent.intentId) as { n: number }
      expect(taken.n).toBe(1)
    })

    it('follows "user paying" with queries spaced by the rules, and is paid once the customer types the PIN', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 19900 }] })
      const intent = courier.order(0).intent!
      const code = (await server.api.setWallet('wallet-pin-typed', { pin: '246810' })).paymentCode.code
      const started = ChargeResponse.parse((await charge(courier, intent.intentId, code)).json)
      expect(started.status).toBe('user_paying')
      await new Promise((resolve) => setTimeout(resolve, 700))
      const asked = server.sandbox!.store.queries.get(started.chargeNo) ?? []
      expect(asked.length).toBeGreaterThanOrEqual(2)
      const gaps = asked.slice(1).map((at, i) => at - asked[i]!)
      // Never faster than the minimum (a little slack for the worker's own tick).
      expect(gaps.every((gap) => gap >= QUERY_MIN_MS - 10)).toBe(true)
      await server.api.confirmPin('wallet-pin-typed', started.chargeNo, '246810')
      await expect.poll(async () => (await chargeOf(courier, started.chargeNo)).status, { timeout: 5_000 }).toBe('paid')
      expect(await intentRow(intent.intentId)).toEqual({ status: 'paid', final_state: 'paid' })
    })

    it('revokes a charge the customer never confirms, taking nothing; the order can still be paid', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 5000 }] })
      const intent = courier.order(0).intent!
      const code = (await server.api.setWallet('wallet-pin-never', { pin: '135790' })).paymentCode.code
      const started = ChargeResponse.parse((await charge(courier, intent.intentId, code)).json)
      expect(started.status).toBe('user_paying')
      await expect
        .poll(async () => (await chargeOf(courier, started.chargeNo)).status, { timeout: QUERY_FOR_MS + 5_000 })
        .toBe('revoked')
      const held = server
        .sandbox!.store.sqlite.prepare('select count(*) as n from payments where intent_id = ?')
        .get(intent.intentId) as { n: number }
      expect(held.n).toBe(0)
      expect((await intentRow(intent.intentId)).status).toBe('pending')
    })

    it('refunds by itself a payment that lands after its revoke, and flags it', async () => {
      await server.api.setBehaviour({ revokeRace: true })
      const courier = await loggedInCourier(server, { orders: [{ codFen: 3300 }] })
      const intent = courier.order(0).intent!
      const code = (await server.api.setWallet('wallet-race', { pin: '112233' })).paymentCode.code
      const started = ChargeResponse.parse((await charge(courier, intent.intentId, code)).json)
      await expect
        .poll(async () => (await chargeOf(courier, started.chargeNo)).status, { timeout: QUERY_FOR_MS + 5_000 })
        .toBe('revoked')
      await expect
        .poll(
          async () =>
            server.db
              .selectFrom('refunds')
              .select(['kind', 'status', 'amount_fen'])
              .where('intent_id', '=', intent.intentId)
              .execute(),
          { timeout: 10_000 },
        )
        .toEqual([{ kind: 'automatic', status: 'succeeded', amount_fen: 3300 }])
      const flags = await server.db
        .selectFrom('flags')
        .select('kind')
        .where('intent_id', '=', intent.intentId)
        .execute()
      expect(flags).toEqual([{ kind: 'payment_after_revoke' }])
    })

    it("refuses what is not a payment code, another courier's intent and a device token, changing nothing", async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 1000 }] })
      const other = await loggedInCourier(server, { orders: [{ codFen: 1000 }] })
      const intent = courier.order(0).intent!
      const code = (await server.api.setWallet('wallet-refused')).paymentCode.code
      const cases: [LoggedInCourier, string, unknown, number, string][] = [
        [courier, intent.intentId, { authCode: 'JD0123456789' }, 400, 'charge.bad_code'],
        [courier, intent.intentId, { authCode: '' }, 400, 'request.invalid'],
        [courier, intent.intentId, { authCode: code, tip: 1 }, 400, 'request.invalid'],
        [other, intent.intentId, { authCode: code }, 403, 'auth.forbidden'],
      ]
      for (const [who, intentId, json, status, errorCode] of cases) {
        const answer = await server.api.raw('POST', `/api/v1/intents/${intentId}/charge`, {
          token: who.shift.shiftToken,
          json,
        })
        expect({ status: answer.status, code: errorOf(answer.json).code }).toEqual({ status, code: errorCode })
      }
      const device = await server.api.raw('POST', `/api/v1/intents/${intent.intentId}/charge`, {
        token: courier.device.deviceToken,
        json: { authCode: code },
      })
      expect(device.status).toBe(401)
      expect(
        await server.db.selectFrom('charges').selectAll().where('intent_id', '=', intent.intentId).execute(),
      ).toEqual([])
    })
  })
}
