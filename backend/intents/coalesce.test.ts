import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`intent queries coalesced on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({ database: kind })
    })
    afterAll(async () => server?.stop())

    const queriesOf = (intentId: string) => server.sandbox!.store.queries.get(intentId) ?? []

    it('asks the acquirer once for ten devices polling one intent at the same moment', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 6660 }] })
      const intent = courier.order(0).intent!
      await new Promise((resolve) => setTimeout(resolve, 1_100))
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => server.api.intent(courier.shift.shiftToken, intent.intentId)),
      )
      expect(answers.every((answer) => answer.status === 'pending')).toBe(true)
      expect(queriesOf(intent.intentId)).toHaveLength(1)
    })

    it('keeps polling every 200 ms to at most one acquirer query a second, and still answers "paid" at the next', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 1990 }] })
      const intent = courier.order(0).intent!
      await server.api.setBehaviour({ holdNotifications: true })
      try {
        const started = Date.now()
        let paidAt: number | null = null
        let seenPaid: number | null = null
        while (Date.now() - started < 3_500) {
          if (paidAt === null && Date.now() - started > 1_500) {
            await server.api.pay(intent.qrPayload)
            paidAt = Date.now()
          }
          const answer = await server.api.intent(courier.shift.shiftToken, intent.intentId)
          if (answer.status === 'paid' && seenPaid === null) seenPaid = Date.now()
          await new Promise((resolve) => setTimeout(resolve, 200))
        }
        const times = queriesOf(intent.intentId)
        for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(990)
        expect(times.length).toBeLessThanOrEqual(5)
        expect(seenPaid).not.toBeNull()
        expect(seenPaid! - paidAt!).toBeLessThan(1_500)
      } finally {
        await server.api.setBehaviour({})
      }
    })
  })
}
