import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openBackendDb } from '../db/connect'
import { startSandboxServer, type SandboxServer } from '../sandbox'
import { BackendApi, EventWriter } from '../testing/api'
import { freshDatabase, spawnBackend, type SpawnedBackend } from '../testing/backend'
import { databasesUnderTest } from '../testing/databases'
import { createCourierWithRoute } from '../testing/fixtures'

/**
 * The intents a courier moved on from (cash taken) are withdrawn at the acquirer from a queue kept in the
 * database, in the same transaction as the batch that closed them: a backend killed -9 right after it committed
 * the batch withdraws them all once it is back, and each exactly once.
 */
for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`intent withdrawals across a backend crash on ${kind}`, () => {
    let backend: SpawnedBackend | null = null
    let acquirer: SandboxServer | null = null
    let drop: (() => Promise<void>) | null = null
    afterAll(async () => {
      await backend?.stop('SIGKILL')
      await acquirer?.close()
      await drop?.()
    })

    it('withdraws every intent of a committed batch after a kill -9, and none twice', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tuotou-withdrawals-'))
      const file = join(dir, 'acquirer.sqlite')
      const target = await freshDatabase(kind, dir)
      drop = target.drop
      acquirer = await startSandboxServer({ file })
      const port = Number(new URL(acquirer.url).port)
      const { apiKey, webhookSecret } = acquirer.sandbox.identity
      backend = await spawnBackend({
        db: target.target,
        sandbox: false,
        env: {
          TUOTOU_ACQUIRER_URL: `${acquirer.url}/sandbox/acquirer`,
          TUOTOU_ACQUIRER_KEY: apiKey,
          TUOTOU_ACQUIRER_SECRET: webhookSecret,
        },
      })
      const database = openBackendDb(backend.db)
      const fixture = await createCourierWithRoute(database.db, {
        orders: Array.from({ length: 6 }, (_, i) => ({ codFen: 1000 + i })),
      })
      await database.close()
      const api = new BackendApi(backend.url)
      const device = await api.enroll(fixture.enrollmentCode)
      const shift = await api.login(device.deviceToken, fixture.staffId, fixture.pin)
      const manifest = await api.manifest(shift.shiftToken, shift.shiftId)
      const orders = manifest.stops.flatMap((stop) => stop.orders)
      const intents = orders.map((order) => order.intent!)
      expect(intents.every((intent) => acquirer!.sandbox.store.intentById(intent.intentId)?.status === 'pending')).toBe(
        true,
      )

      // The acquirer goes away; six cash collections are committed; the backend is killed at once.
      await acquirer.close()
      const writer = new EventWriter(shift.shiftId)
      const answer = await api.push(
        device.deviceToken,
        device.deviceId,
        orders.map((order) =>
          writer.next({
            type: 'delivery.completed',
            payload: {
              orderId: order.orderId,
              attempt: 1,
              method: 'cash',
              dueFen: order.codFen,
              collectedFen: order.codFen,
              intentId: null,
            },
          }),
        ),
      )
      expect(answer.results.every((result) => result.status === 'applied')).toBe(true)
      await backend.stop('SIGKILL')

      // The acquirer is back; so is the backend, on the same data. Nothing of the batch is left payable.
      acquirer = await startSandboxServer({ file, port })
      backend = await backend.restart()
      await expect
        .poll(() => intents.map((intent) => acquirer!.sandbox.store.intentById(intent.intentId)?.status), {
          // A withdrawal the killed backend had in flight waits out its claim (15 s) before it is taken again.
          timeout: 40_000,
        })
        .toEqual(intents.map(() => 'cancelled'))
      const customer = new BackendApi(acquirer.url)
      for (const intent of intents) {
        const paid = await customer.raw('POST', '/sandbox/acquirer/pay', {
          json: { qrPayload: intent.qrPayload, walletId: 'wallet-test' },
        })
        expect(paid.status).toBe(409)
      }

      const check = openBackendDb(backend.db)
      try {
        const queued = await check.db.selectFrom('intent_withdrawals').selectAll().execute()
        expect(queued.map((row) => row.intent_id).sort()).toEqual(intents.map((intent) => intent.intentId).sort())
        expect(queued.every((row) => row.done_ms !== null)).toBe(true)
        const stored = await check.db
          .selectFrom('payment_intents')
          .select('status')
          .where(
            'id',
            'in',
            intents.map((intent) => intent.intentId),
          )
          .execute()
        expect(stored.every((row) => row.status === 'cancelled')).toBe(true)
      } finally {
        await check.close()
      }
    }, 90_000)
  })
}
