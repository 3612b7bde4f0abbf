import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { openBackendDb } from '../db/connect'
import { spawnBackend, type SpawnedBackend } from '../testing/backend'
import { createCourierWithRoute } from '../testing/fixtures'

/** Intents past their bound with no final state, written straight into both files as days of unsettled work. */
const BACKLOG = 30_000

const dir = mkdtempSync(join(tmpdir(), 'tuotou-start-'))
const spawned: SpawnedBackend[] = []
afterAll(async () => {
  for (const backend of spawned) await backend.stop('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

/** From spawning the process to its first `/health` answer. */
async function timedStart(file: string, sandboxDb: string): Promise<{ backend: SpawnedBackend; ms: number }> {
  const started = performance.now()
  const backend = await spawnBackend({
    db: file,
    sandboxDb,
    env: { TUOTOU_CLOSURE_AFTER_MS: '1000' },
    timeoutMs: 120_000,
  })
  spawned.push(backend)
  const answer = await fetch(`${backend.url}/api/v1/health`)
  expect(answer.status).toBe(200)
  return { backend, ms: performance.now() - started }
}

function seedBacklog(file: string, sandboxDb: string, orderId: string): void {
  const now = Date.now()
  const expired = now - 60 * 60_000
  const backend = new Database(file)
  backend.transaction(() => {
    const numbers = `with recursive n(i) as (select 1 union all select i + 1 from n where i < ${BACKLOG})`
    backend
      .prepare(
        `insert into orders (id, depot_id, route_id, stop_id, position, courier_id, route_date, waybill, cod_fen,
           recipient_name, recipient_phone, address, status, attempt, intent_attempts, delivered_method,
           collected_cash_fen, closed_at, closed_ms, failure_reason)
         ${numbers}
         select 'ord_backlog' || i, depot_id, route_id, stop_id, position + i, courier_id, route_date,
           'JDBK' || i, cod_fen, recipient_name, recipient_phone, address, status, attempt, 1, null, 0, null, null, null
         from n, orders where orders.id = ?`,
      )
      .run(orderId)
    backend
      .prepare(
        `insert into payment_intents (id, order_id, depot_id, attempt, acquirer_key, amount_fen, qr_payload, status,
           expires_at, expires_ms, device_id, created_at)
         select 'pi_backlog' || substr(id, 12), id, depot_id, 1, 'cod:' || id || ':1', cod_fen, 'qr', 'pending',
           @expiresAt, @expires, 'dev_backlog0000', @createdAt
         from orders where id like 'ord_backlog%'`,
      )
      .run({ expiresAt: new Date(expired).toISOString(), expires: expired, createdAt: new Date(expired).toISOString() })
  })()
  backend.close()
  // The acquirer holds the same intents, pending and past their expiry: asked, it answers "expired".
  const acquirer = new Database(sandboxDb)
  acquirer
    .prepare(
      `insert into intents (intent_id, key, amount_fen, status, expires_at, expires_ms, merchant_name, merchant_city,
         waybill, device_id, qr_payload, notify_url, created_ms)
       with recursive n(i) as (select 1 union all select i + 1 from n where i < ${BACKLOG})
       select 'pi_backlog' || i, 'cod:ord_backlog' || i || ':1', 6660, 'pending', @expiresAt, @expires, 'Tuotou',
         'Suzhou', 'JDBK' || i, 'dev_backlog0000', 'qr', 'http://127.0.0.1:1/', @expires from n`,
    )
    .run({ expiresAt: new Date(expired).toISOString(), expires: expired })
  acquirer.close()
}

const unsettled = (file: string): number => {
  const sqlite = new Database(file, { readonly: true })
  try {
    const row = sqlite
      .prepare(`select count(*) as n from payment_intents where final_ms is null and id like 'pi_backlog%'`)
      .get() as { n: number }
    return row.n
  } finally {
    sqlite.close()
  }
}

describe('the backend start with a backlog to settle', () => {
  it(`answers /health about as soon as with none, with ${BACKLOG} intents to settle, and works through them after`, async () => {
    const file = join(dir, 'backend.sqlite')
    const sandboxDb = join(dir, 'sandbox.sqlite')
    const empty = await timedStart(file, sandboxDb)
    await empty.backend.stop()

    const { db, close } = openBackendDb(file)
    const fixture = await createCourierWithRoute(db, { orders: [{ codFen: 6660 }] })
    await close()
    seedBacklog(file, sandboxDb, fixture.orders[0]!.orderId)
    expect(unsettled(file)).toBe(BACKLOG)

    const loaded = await timedStart(file, sandboxDb)
    // A start is the process, tsx and the migrations; the backlog may add a worker's slice, not its length.
    expect(loaded.ms).toBeLessThan(empty.ms * 2 + 3_000)
    const health = performance.now()
    expect((await fetch(`${loaded.backend.url}/api/v1/health`)).status).toBe(200)
    // Generous, for a shared machine: the old start never answered at all.
    expect(performance.now() - health).toBeLessThan(5_000)

    // The reconciliation worker settles them meanwhile, each as the acquirer says (expired).
    const deadline = Date.now() + 60_000
    while (unsettled(file) > BACKLOG - 100 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    expect(unsettled(file)).toBeLessThanOrEqual(BACKLOG - 100)
    console.log(`start: empty ${empty.ms.toFixed(0)} ms, with ${BACKLOG} to settle ${loaded.ms.toFixed(0)} ms`)
  }, 240_000)
})
