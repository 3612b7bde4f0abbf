import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { createCourierWithRoute } from '../testing/fixtures'
import { migrateToLatest } from './migrate'

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`backend store on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({ database: kind, sandbox: false })
    })
    afterAll(async () => server?.stop())

    it('migrates once: running the migrations again applies nothing', async () => {
      expect(await migrateToLatest(server.database)).toEqual([])
    })

    it.skipIf(kind !== 'sqlite')(
      'keeps SQLite in WAL with synchronous=FULL, so a commit survives kill -9',
      async () => {
        const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(server.db)
        const synchronous = await sql<{ synchronous: number }>`pragma synchronous`.execute(server.db)
        expect(journal.rows[0]!.journal_mode).toBe('wal')
        expect(synchronous.rows[0]!.synchronous).toBe(2)
      },
    )

    it('allows at most one open intent per order, and reads money back as whole numbers', async () => {
      // The largest order any deployment may configure: bigint columns read back as exact whole numbers.
      const fixture = await createCourierWithRoute(server.db, {
        maxOrderFen: 100_000_000_00,
        orders: [{ codFen: 100_000_000_00 }],
      })
      const order = fixture.orders[0]!
      const intent = (id: string, attempt: number) => ({
        id,
        order_id: order.orderId,
        depot_id: fixture.depotId,
        attempt,
        acquirer_key: `cod:${order.orderId}:${attempt}`,
        amount_fen: order.codFen,
        qr_payload: '000201',
        status: 'pending' as const,
        expires_at: new Date().toISOString(),
        expires_ms: Date.now(),
        paid_at: null,
        transaction_id: null,
        device_id: 'dev_x000',
        created_at: new Date().toISOString(),
        checked_ms: null,
      })
      await server.db.insertInto('payment_intents').values(intent('pi_first0000001', 1)).execute()
      await expect(
        server.db.insertInto('payment_intents').values(intent('pi_second000001', 2)).execute(),
      ).rejects.toThrow()
      await server.db
        .updateTable('payment_intents')
        .set({ status: 'expired' })
        .where('id', '=', 'pi_first0000001')
        .execute()
      await server.db.insertInto('payment_intents').values(intent('pi_second000001', 2)).execute()
      const stored = await server.db
        .selectFrom('orders')
        .select('cod_fen')
        .where('id', '=', order.orderId)
        .executeTakeFirstOrThrow()
      expect(stored.cod_fen).toBe(100_000_000_00)
      const sum = await server.db
        .selectFrom('payment_intents')
        .select((eb) => eb.fn.sum<number>('amount_fen').as('total'))
        .where('order_id', '=', order.orderId)
        .executeTakeFirstOrThrow()
      expect(sum.total).toBe(200_000_000_00)
    })
  })
}
