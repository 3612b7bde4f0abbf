import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { spawnBackend, type SpawnedBackend } from '../backend/testing'
import { killCoreProcesses } from './support/core-process'
import { startFieldDevice } from './support/field-device'

/**
 * Issue 11, point 6: a device clock 12 h or more ahead blocked digital payment. The device judged the QR's
 * expiry by its own clock, thought every intent expired, and the backend (rightly) refused to renew one that
 * was not. The core now measures its offset to the backend's clock on every exchange and judges expiry in
 * backend time; each event carries the offset it knew, and the skew is in the sync status for the courier.
 */

let backend: SpawnedBackend | null = null
afterEach(async () => {
  await killCoreProcesses()
  await backend?.stop('SIGKILL')
  backend = null
})

describe('a device clock far off the backend’s', () => {
  it('13 hours ahead: the QR from the manifest is shown as it is, and every event carries the offset', async () => {
    const aheadMs = 13 * 3600_000
    backend = await spawnBackend({ sandbox: true, seed: 'demo' })
    const { core, dataDir } = await startFieldDevice(backend, { clockOffsetMs: aheadMs })
    const route = await core.call('getRoute', {})
    const order = route.stops.flatMap((stop) => stop.orders).find((o) => o.codFen > 0 && o.parcelCount === 1)!
    const full = await core.call('getOrder', { orderId: order.orderId })
    await core.call('scanBarcode', { code: full.parcels[0]!.barcode, source: 'wedge' })
    const shown = await core.call('showPaymentQr', { orderId: order.orderId })
    // The intent the manifest brought, not a renewal the backend would have refused (`intent.not_expired`).
    expect(shown).toMatchObject({ intentId: full.payment!.intentId, status: 'pending' })

    const status = await core.call('getSyncStatus', {})
    expect(status.clockSkewMs).not.toBeNull()
    expect(Math.abs(status.clockSkewMs! + aheadMs)).toBeLessThan(2_000)
    const outbox = new Database(join(dataDir, 'device.sqlite'), { readonly: true })
    try {
      const last = outbox.prepare('SELECT type, clock_offset_ms FROM outbox ORDER BY seq DESC LIMIT 1').get() as {
        type: string
        clock_offset_ms: number | null
      }
      expect(last.type).toBe('payment.qr_shown')
      expect(Math.abs(last.clock_offset_ms! + aheadMs)).toBeLessThan(2_000)
    } finally {
      outbox.close()
    }
  }, 60_000)
})
