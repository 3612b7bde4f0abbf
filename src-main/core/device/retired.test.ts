import { afterEach, describe, expect, it } from 'vitest'
import { TuotouError } from '../../../shared/errors'
import { createDeviceCore } from '..'
import { FAST_SYNC, eventsOf, outboxOf, queryDevice, startTestDevice, until, type TestDevice } from '../testing/device'

const devices: TestDevice[] = []
async function device(): Promise<TestDevice> {
  const created = await startTestDevice()
  devices.push(created)
  return created
}
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close()
})

const CODE1 = 'JDVA00000000001-1-1-'
const CODE4 = 'JDVA00000000004-1-1-'
const AT = '2026-03-02T03:04:05.000Z'
const retiredAnswer = {
  status: 401,
  body: {
    error: {
      code: 'device.retired',
      message: 'this device was retired by the depot; ask your supervisor',
      details: { retiredAt: AT, retiredBy: '张伟' },
    },
  },
}

const refusalOf = async (action: Promise<unknown>): Promise<TuotouError> => {
  try {
    await action
  } catch (error) {
    if (error instanceof TuotouError) return error
    throw error
  }
  throw new Error('the action was not refused')
}

describe('a device the depot retired', () => {
  it("learns it from a push's 401, keeps every unsent event, sends nothing more and refuses new actions", async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the stream')
    d.backend.scriptPush(retiredAnswer)
    await d.core.handlers.scanBarcode({ code: CODE1, source: 'wedge' })
    await until(async () => (await d.core.handlers.getDeviceStatus({})).retired !== null, 'the retirement')

    const status = await d.core.handlers.getDeviceStatus({})
    expect(status.retired).toEqual({ at: AT, by: '张伟' })
    expect(eventsOf(d, 'deviceStatus').at(-1)?.retired).toEqual({ at: AT, by: '张伟' })
    // The scan stays on the device, unsent; the sync status counts it.
    const held = outboxOf(d)
    expect(held.map((event) => event.type)).toEqual(['parcel.scanned'])
    expect((await d.core.handlers.getSyncStatus({})).pending).toBe(1)

    // A new action is refused with the reason, and records nothing.
    const refusal = await refusalOf(d.core.handlers.scanBarcode({ code: CODE4, source: 'wedge' }))
    expect([refusal.code, refusal.details]).toEqual(['device.retired', { retiredAt: AT, retiredBy: '张伟' }])
    expect(outboxOf(d)).toEqual(held)

    // Nothing more goes out: no push, heartbeat or stream, even when asked to sync.
    const before = d.backend.requests.length
    await d.core.handlers.syncNow({})
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(d.backend.requests.slice(before).filter((path) => path.includes('/devices/'))).toEqual([])
    expect(d.backend.applied).toEqual([])
  })

  it("learns it from the stream's last message, and still knows after a restart", async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the stream')
    d.backend.send('device', { change: 'retired', at: AT, by: null })
    await until(async () => (await d.core.handlers.getDeviceStatus({})).retired !== null, 'the retirement')
    expect((await d.core.handlers.getDeviceStatus({})).retired).toEqual({ at: AT, by: null })
    expect(queryDevice<{ retired_at: string }>(d, 'SELECT retired_at FROM device')).toEqual([{ retired_at: AT }])

    devices.splice(devices.indexOf(d), 1)
    d.core.close()
    const again = createDeviceCore({
      dataDir: d.dataDir,
      host: 'browser',
      version: '0.0.0-test',
      backendUrl: d.backend.url,
      sync: FAST_SYNC,
    })
    try {
      expect((await again.handlers.getDeviceStatus({})).retired).toEqual({ at: AT, by: null })
      const refusal = await refusalOf(again.handlers.scanBarcode({ code: CODE1, source: 'wedge' }))
      expect(refusal.code).toBe('device.retired')
    } finally {
      again.close()
      await d.backend.close()
    }
  })

  it('reports the battery the renderer read with its next heartbeat', async () => {
    const d = await device()
    await d.core.handlers.reportBattery({ level: 37, charging: true })
    const before = d.backend.heartbeats.length
    await d.core.handlers.scanBarcode({ code: CODE1, source: 'wedge' })
    // A heartbeat already on its way when the battery was read may land after `before` without it; a later one
    // must carry it.
    const carrying = (): unknown =>
      d.backend.heartbeats.slice(before).find((beat) => (beat as { battery?: unknown }).battery != null)
    await until(() => carrying() !== undefined, 'a heartbeat carrying the battery')
    expect(carrying()).toMatchObject({ battery: { level: 37, charging: true } })
  })
})
