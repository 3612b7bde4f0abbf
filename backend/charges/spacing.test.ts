import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChargeResponse } from '../../shared/api/charges'
import { propertyParameters, propertyTimeout } from '../../shared/testing/property'
import { defaultConfig } from '../context'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'
import { databasesUnderTest } from '../testing/databases'
import { nextQueryAt } from './service'

/**
 * WeChat Pay and Alipay ask a merchant to query a charge the customer is still confirming every 3 to 5 s: never
 * faster (the acquirer throttles), never slower (the courier waits at the door). The gap the acquirer sees is the
 * drawn wait plus the worker's tick (`pollMs`), so the draw leaves room for the tick.
 */
describe('the spacing of charge queries', () => {
  it(
    'draws every wait so that, with the worker’s tick on top, it stays within [queryMin, queryMax]',
    () => {
      const defaults = defaultConfig('test').charge
      fc.assert(
        fc.property(
          fc.record({
            queryMinMs: fc.integer({ min: 500, max: 5_000 }),
            spanMs: fc.integer({ min: 1_000, max: 10_000 }),
            pollMs: fc.integer({ min: 10, max: 250 }),
            now: fc.integer({ min: 0, max: 4_102_444_800_000 }),
          }),
          ({ queryMinMs, spanMs, pollMs, now }) => {
            for (const charge of [defaults, { ...defaults, queryMinMs, queryMaxMs: queryMinMs + spanMs, pollMs }]) {
              const config = { ...defaultConfig('test'), charge }
              const wait = nextQueryAt({ config, now: () => now }) - now
              expect(wait).toBeGreaterThanOrEqual(charge.queryMinMs)
              expect(wait + charge.pollMs).toBeLessThanOrEqual(charge.queryMaxMs)
            }
          },
        ),
        propertyParameters(300, 2_000),
      )
    },
    propertyTimeout(2_000),
  )
})

/** The production spacing (3–5 s), measured where it counts: the sandbox acquirer's record of each query. */
for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`charge queries at the production spacing on ${kind}`, () => {
    let server: TestBackend
    const QUERY_FOR_MS = 17_000

    beforeAll(async () => {
      const { charge } = defaultConfig('test')
      expect([charge.queryMinMs, charge.queryMaxMs]).toEqual([3_000, 5_000])
      server = await startTestBackend({ database: kind, config: { charge: { ...charge, queryForMs: QUERY_FOR_MS } } })
    })
    afterAll(async () => server?.stop())

    it('queries a charge waiting for the PIN no sooner than 3 s and no later than 5 s apart, then revokes', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 4200 }] })
      const intent = courier.order(0).intent!
      const code = (await server.api.setWallet('wallet-spacing', { pin: '975310' })).paymentCode.code
      const sentAt = Date.now()
      const started = ChargeResponse.parse(
        (
          await server.api.raw('POST', `/api/v1/intents/${intent.intentId}/charge`, {
            token: courier.shift.shiftToken,
            json: { authCode: code },
          })
        ).json,
      )
      const answeredAt = Date.now()
      expect(started.status).toBe('user_paying')
      await expect
        .poll(
          async () =>
            (
              await server.api.call('GET', `/api/v1/charges/${started.chargeNo}`, ChargeResponse, {
                token: courier.shift.shiftToken,
              })
            ).status,
          { timeout: QUERY_FOR_MS + 10_000, interval: 500 },
        )
        .toBe('revoked')
      const asked = server.sandbox!.store.queries.get(started.chargeNo) ?? []
      // 17 s at 3–5 s a query: at least three, at most six.
      expect(asked.length).toBeGreaterThanOrEqual(3)
      expect(asked.length).toBeLessThanOrEqual(6)
      // The first query is scheduled once the charge was answered: between our sending and our hearing back.
      expect(asked[0]! - sentAt).toBeGreaterThanOrEqual(3_000)
      expect(asked[0]! - answeredAt).toBeLessThanOrEqual(5_000)
      const gaps = asked.slice(1).map((at, i) => at - asked[i]!)
      for (const gap of gaps) {
        expect(gap).toBeGreaterThanOrEqual(3_000)
        expect(gap).toBeLessThanOrEqual(5_000)
      }
    }, 40_000)
  })
}
