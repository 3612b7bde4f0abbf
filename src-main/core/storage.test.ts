import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createDeviceCore, type DeviceCore } from '.'
import { createIpcDispatcher } from './ipc'
import { outboxOf, startTestDevice, type TestDevice } from './testing/device'

/**
 * Issue 11, point 12: with the disk full every write answered 500 "database or disk is full", in English even in
 * zh-CN. A storage failure is now said in the courier's terms (`storage.full`, translated by the terminal), the
 * write that met it changed nothing, and the terminal stays readable.
 */

const devices: TestDevice[] = []
let extra: DeviceCore | null = null
afterEach(async () => {
  extra?.close()
  extra = null
  for (const d of devices.splice(0)) await d.close()
})

describe('a full disk', () => {
  it('refuses each write with storage.full, records nothing of it, and every read still answers', async () => {
    const d = await startTestDevice()
    devices.push(d)
    await d.backend.close()
    d.core.close()
    // The same folder, its database capped at what it holds now: the next pages it needs are not there.
    const size = statSync(join(d.dataDir, 'device.sqlite')).size
    extra = createDeviceCore({
      dataDir: d.dataDir,
      host: 'browser',
      version: '0',
      backendUrl: d.backend.url,
      maxDatabaseBytes: size,
    })
    const dispatch = createIpcDispatcher(extra.handlers)
    let refusal: { code: string; message: string } | null = null
    for (let i = 0; i < 5000 && !refusal; i++) {
      const before = outboxOf(d).length
      const result = await dispatch('scanBarcode', { code: `JDVA${String(90_000_000_000 + i)}-1-1-`, source: 'wedge' })
      if (!result.ok) {
        refusal = result.error
        // The write that met the full disk left nothing behind.
        expect(outboxOf(d)).toHaveLength(before)
      }
    }
    expect(refusal).toMatchObject({ code: 'storage.full', message: 'device storage is full: nothing was recorded' })
    // Reading is not writing: the route, the shift and the sync status still answer.
    expect(await dispatch('getRoute', {})).toMatchObject({ ok: true })
    expect(await dispatch('getShiftSummary', {})).toMatchObject({ ok: true })
    expect(await dispatch('getSyncStatus', {})).toMatchObject({ ok: true })
    expect(await dispatch('getDoorstep', {})).toMatchObject({ ok: true })
  })
})
