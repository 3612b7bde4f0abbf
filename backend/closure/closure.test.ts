import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClosureResponse } from '../../shared/api/closure'
import { SupervisorLoginResponse } from '../../shared/api/depot'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'
import { databasesUnderTest } from '../testing/databases'
import { createSupervisorLogin } from '../testing/fixtures'

const TTL_MS = 60_000
const BOUND_MS = 120_000

/**
 * The reconciliation worker (DESIGN section 4a): an intent with no final state N minutes after the courier left
 * the door is asked about at the acquirer and settled; nothing stays unknown. Real HTTP and database, the
 * sandbox acquirer with its notifications held back and its merchant API down; the clock is the test's.
 */
for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`reconciliation worker on ${kind}`, () => {
    let server: TestBackend
    let clock = Date.now()

    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        now: () => clock,
        config: {
          intentTtlMs: TTL_MS,
          supervisorSessionTtlMs: 24 * 60 * 60_000,
          // Only `drain()` works here: the loop's own pass would race the test's clock.
          closure: { afterMs: BOUND_MS, pollMs: 600_000, retryBaseMs: 1_000, retryMaxMs: 10_000 },
        },
      })
    })
    afterAll(async () => server?.stop())

    async function supervisorOf(depotId: string) {
      const login = await createSupervisorLogin(server.db, depotId)
      const session = await server.api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, {
        json: { login: login.login, password: login.password },
      })
      return session.supervisorToken
    }
    const finalOf = (intentId: string) =>
      server.db
        .selectFrom('payment_intents')
        .select(['status', 'final_state', 'final_ms'])
        .where('id', '=', intentId)
        .executeTakeFirstOrThrow()
    const closureOf = (token: string) => server.api.call('GET', '/api/v1/depot/closure', ClosureResponse, { token })

    it('settles a payment whose notification never came, and closes an unpaid intent, once past the bound', async () => {
      await server.api.setBehaviour({ holdNotifications: true })
      const courier = await loggedInCourier(server, { orders: [{ codFen: 6660 }, { codFen: 1990 }] })
      const token = await supervisorOf(courier.fixture.depotId)
      const paidIntent = courier.order(0).intent!
      const unpaidIntent = courier.order(1).intent!
      await server.api.pay(paidIntent.qrPayload)

      // Before the bound nothing is asked: the intents are still in the courier's hands.
      clock += TTL_MS + BOUND_MS - 5_000
      expect(await server.backend.workers.closure.drain()).toBe(0)
      expect((await finalOf(paidIntent.intentId)).final_state).toBeNull()

      clock += 10_000
      const listed = await closureOf(token)
      expect(listed.intents.map((i) => i.intentId).sort()).toEqual([paidIntent.intentId, unpaidIntent.intentId].sort())
      expect(listed.intents.every((i) => i.pastBoundMs >= 5_000)).toBe(true)

      expect(await server.backend.workers.closure.drain()).toBe(2)
      expect(await finalOf(paidIntent.intentId)).toMatchObject({ status: 'paid', final_state: 'paid' })
      const payments = await server.db
        .selectFrom('payments')
        .select(['amount_fen', 'outcome'])
        .where('intent_id', '=', paidIntent.intentId)
        .execute()
      expect(payments).toEqual([{ amount_fen: 6660, outcome: 'succeeded' }])
      const unpaid = await finalOf(unpaidIntent.intentId)
      expect(['cancelled', 'expired']).toContain(unpaid.final_state)
      expect((await closureOf(token)).intents).toEqual([])

      // The notification, released at last, is a duplicate of what the worker recorded.
      await server.api.setBehaviour({ holdNotifications: false })
      await server.settled()
      const after = await server.db
        .selectFrom('payments')
        .select('amount_fen')
        .where('intent_id', '=', paidIntent.intentId)
        .execute()
      expect(after).toHaveLength(1)
    })

    it('keeps an intent listed, with why, while the acquirer is down, and settles it when it is back', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 4200 }] })
      const token = await supervisorOf(courier.fixture.depotId)
      const other = await loggedInCourier(server, { orders: [{ codFen: 100 }] })
      const otherToken = await supervisorOf(other.fixture.depotId)
      const intent = courier.order(0).intent!
      await server.api.setBehaviour({ outage: true })
      clock += TTL_MS + BOUND_MS + 1_000

      expect(await server.backend.workers.closure.drain()).toBe(0)
      const listed = (await closureOf(token)).intents
      expect(listed).toEqual([
        expect.objectContaining({
          intentId: intent.intentId,
          amountFen: 4200,
          attempts: 1,
          lastError: expect.any(String),
        }),
      ])
      // Another depot's supervisor sees only their own depot's intents.
      expect((await closureOf(otherToken)).intents.map((i) => i.intentId)).not.toContain(intent.intentId)
      // Backing off: asked again only once the retry is due.
      expect(await server.backend.workers.closure.drain()).toBe(0)
      expect((await closureOf(token)).intents[0]!.attempts).toBe(1)

      await server.api.setBehaviour({ outage: false })
      clock += 2_000
      expect(await server.backend.workers.closure.drain()).toBeGreaterThanOrEqual(1)
      expect(['cancelled', 'expired']).toContain((await finalOf(intent.intentId)).final_state)
      expect((await closureOf(token)).intents).toEqual([])
      const schedule = await server.db
        .selectFrom('intent_closure')
        .selectAll()
        .where('intent_id', '=', intent.intentId)
        .execute()
      expect(schedule).toEqual([])
    })
  })
}
