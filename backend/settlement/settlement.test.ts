import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSandboxServer, type SandboxServer } from '../sandbox'
import { BackendApi, openStream } from '../testing/api'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`settlement with an acquirer elsewhere, on ${kind}`, () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tuotou-acquirer-')), 'acquirer.sqlite')
    let acquirer: SandboxServer
    let server: TestBackend

    beforeAll(async () => {
      acquirer = await startSandboxServer({ file })
      const identity = acquirer.sandbox.identity
      const base = acquirer.url
      server = await startTestBackend({
        database: kind,
        acquirer: {
          kind: 'external',
          baseUrl: `${base}/sandbox/acquirer`,
          apiKey: identity.apiKey,
          webhookSecret: identity.webhookSecret,
        },
        config: { settlement: { pollMs: 100, retryBaseMs: 100, retryMaxMs: 300 } },
      })
    })
    afterAll(async () => {
      await server?.stop()
      await acquirer?.close()
    })

    it('waits out an acquirer it cannot reach, retrying, then settles and tells the device', async () => {
      const customer = new BackendApi(acquirer.url)
      const courier = await loggedInCourier(server, { orders: [{ codFen: 6660 }] })
      const intent = courier.order(0).intent!
      await customer.setBehaviour({ holdNotifications: true })
      const paid = await customer.pay(intent.qrPayload)

      // The acquirer goes away; the courier records "paid, to be verified".
      const port = Number(new URL(acquirer.url).port)
      await acquirer.close()
      const stream = await openStream(server.url, courier.device.deviceId, courier.device.deviceToken)
      try {
        const w = courier.events
        const answer = await server.api.push(courier.device.deviceToken, courier.device.deviceId, [
          w.next({
            type: 'payment.unverified',
            payload: { orderId: intent.orderId, intentId: intent.intentId, amountFen: 6660 },
          }),
        ])
        expect(answer.results[0]!.status).toBe('applied')
        const settlement = () =>
          server.db
            .selectFrom('settlements')
            .selectAll()
            .where('intent_id', '=', intent.intentId)
            .executeTakeFirstOrThrow()
        await expect.poll(async () => (await settlement()).attempts, { timeout: 5_000 }).toBeGreaterThanOrEqual(2)
        expect(await settlement()).toMatchObject({
          status: 'pending',
          last_error: expect.stringContaining('cannot be reached'),
        })
        expect(stream.messages).toEqual([])

        // Back on the same address, with the same books.
        acquirer = await startSandboxServer({ file, port })
        const verdict = await stream.waitFor((m) => m.event === 'settlement', 5_000)
        expect(verdict.data).toEqual({
          orderId: intent.orderId,
          intentId: intent.intentId,
          verdict: 'verified',
          transactionId: paid.transactionId,
        })
        expect(await settlement()).toMatchObject({ status: 'verified', transaction_id: paid.transactionId })
        const payment = await server.db
          .selectFrom('payments')
          .selectAll()
          .where('intent_id', '=', intent.intentId)
          .executeTakeFirstOrThrow()
        expect(payment.source).toBe('query')

        // The held notification, released, changes nothing more.
        await new BackendApi(acquirer.url).setBehaviour({ holdNotifications: false })
        await expect
          .poll(
            async () => (await new BackendApi(acquirer.url).notifications(intent.intentId)).notifications[0]?.status,
          )
          .toBe('delivered')
        expect(
          await server.db.selectFrom('payments').selectAll().where('intent_id', '=', intent.intentId).execute(),
        ).toHaveLength(1)
        expect(stream.messages.filter((m) => m.event === 'settlement')).toHaveLength(1)
      } finally {
        stream.close()
      }
    })
  })
}
