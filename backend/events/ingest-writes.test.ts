import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DeviceEvent } from '../../shared/api/events'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'
import { databasesUnderTest } from '../testing/databases'
import { inOffsetOf } from './courier-time'

const ORDERS = 40

const postgres = (await databasesUnderTest()).find((d) => d.kind === 'postgres')!

/**
 * What a batch costs PostgreSQL as the tables fill (DESIGN section 8): a delivery must change no indexed column of
 * its order, so PostgreSQL updates the row in place (HOT) rather than add an entry to each of the orders' indexes.
 */
describe.skipIf(postgres.skip !== null)('ingest writes on postgres', () => {
  let server: TestBackend

  beforeAll(async () => {
    server = await startTestBackend({ database: 'postgres' })
  })
  afterAll(async () => server?.stop())

  /** The orders table's update counters. PostgreSQL publishes a session's within about a second of its commit. */
  const orderUpdates = async () => {
    const { rows } = await sql<{ updated: string; hot: string }>`
      select n_tup_upd as updated, n_tup_hot_upd as hot from pg_stat_user_tables
      where relname = 'orders' and schemaname = current_schema()`.execute(server.db)
    return { updated: Number(rows[0]!.updated), hot: Number(rows[0]!.hot) }
  }

  it('delivers a batch of orders with HOT updates only', async () => {
    const courier = await loggedInCourier(server, {
      orders: Array.from({ length: ORDERS }, () => ({ codFen: 0 })),
    })
    const before = await orderUpdates()
    const now = Date.now()
    const events: DeviceEvent[] = Array.from({ length: ORDERS }, (_, i) =>
      courier.events.next(
        {
          type: 'delivery.completed',
          payload: {
            orderId: courier.order(i).orderId,
            attempt: 1,
            method: 'prepaid',
            dueFen: 0,
            collectedFen: 0,
            intentId: null,
          },
        },
        inOffsetOf(now - (ORDERS - i) * 1000, '+08:00'),
      ),
    )
    const answer = await server.api.push(courier.device.deviceToken, courier.device.deviceId, events)
    expect(answer.results.every((r) => r.status === 'applied')).toBe(true)

    let after = await orderUpdates()
    for (let waited = 0; after.updated < before.updated + ORDERS && waited < 20_000; waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      after = await orderUpdates()
    }
    expect(after.updated - before.updated).toBe(ORDERS)
    expect(after.hot - before.hot).toBe(ORDERS)
  }, 30_000)
})
