import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { routeDateOf } from '../backend/manifests/route-date'
import { spawnBackend, type SpawnedBackend } from '../backend/testing'
import { killCoreProcesses, startCoreProcess } from './support/core-process'
import { demoRoute } from './support/demo-route'
import { drained, QUICK_SYNC, startFieldDevice } from './support/field-device'
import { payQr } from './support/sandbox'

/**
 * A split payment through kill -9 of the device core (issue 12 §6): the digital part is paid, the core is killed
 * before the courier takes the cash rest, and the restarted core resumes there (digital part paid, cash pending).
 * The backend ends with one delivery recorded as two collections: the part's payment and the cash rest.
 */

let backend: SpawnedBackend | null = null
afterEach(async () => {
  await killCoreProcesses()
  await backend?.stop('SIGKILL')
  backend = null
})

describe('split payment through kill -9 of the device core', () => {
  it('resumes with the digital part paid and the cash pending, and completes as two collections', async () => {
    backend = await spawnBackend({ sandbox: true, seed: 'demo' })
    const { core: first, dataDir } = await startFieldDevice(backend)
    const stop = demoRoute(routeDateOf(Date.now(), 'Asia/Shanghai')).find(
      (o) => o.barcodes.length === 1 && o.codFen > 200,
    )!
    const scan = await first.call('scanBarcode', { code: stop.barcodes[0]!, source: 'wedge' })
    if (scan.outcome !== 'accepted') throw new Error(`scan: ${scan.outcome}`)
    const orderId = scan.order.orderId
    const digitalFen = Math.floor(stop.codFen / 2)
    const opened = await first.call('startSplit', { orderId, digitalFen })
    expect(opened.split).toMatchObject({ digitalFen, cashFen: stop.codFen - digitalFen, state: 'digital_pending' })
    await payQr(backend.url, opened.payment!.qrPayload)
    await expect
      .poll(async () => (await first.call('getOrder', { orderId })).split?.state, { timeout: 10_000 })
      .toBe('cash_pending')

    await first.kill('SIGKILL')
    const core = await startCoreProcess({ dataDir, backendUrl: backend.url, sync: QUICK_SYNC })
    const resumed = await core.call('getOrder', { orderId })
    expect(resumed).toMatchObject({ status: 'pending', split: { state: 'cash_pending', digitalFen } })
    const again = await core.call('scanBarcode', { code: stop.barcodes[0]!, source: 'wedge' })
    expect(again.outcome === 'accepted' && again.order.split?.state).toBe('cash_pending')
    const done = await core.call('recordSplitCash', { orderId })
    expect(done).toMatchObject({ status: 'delivered', method: 'split', collectedFen: stop.codFen - digitalFen })
    await drained(core)

    const db = new Database(backend.db, { readonly: true, fileMustExist: true })
    try {
      expect(
        db.prepare('SELECT status, delivered_method, collected_cash_fen FROM orders WHERE id = ?').get(orderId),
      ).toEqual({ status: 'delivered', delivered_method: 'split', collected_cash_fen: stop.codFen - digitalFen })
      expect(
        db.prepare(`SELECT amount_fen FROM payments WHERE order_id = ? AND outcome = 'succeeded'`).all(orderId),
      ).toEqual([{ amount_fen: digitalFen }])
      const completions = db
        .prepare(
          `SELECT COUNT(*) AS n FROM device_events WHERE type = 'delivery.completed' AND status = 'applied'
             AND order_id = ?`,
        )
        .get(orderId) as { n: number }
      expect(completions.n).toBe(1)
    } finally {
      db.close()
    }
  }, 90_000)
})
