import { afterAll, describe, expect, it } from 'vitest'
import type { DeviceEvent } from '../../shared/api/events'
import { openBackendDb } from '../db/connect'
import { BackendApi, EventWriter } from '../testing/api'
import { spawnBackend, type SpawnedBackend } from '../testing/backend'
import { createCourierWithRoute } from '../testing/fixtures'

describe('ingest across backend crashes', () => {
  let backend: SpawnedBackend | null = null
  afterAll(async () => backend?.stop('SIGKILL'))

  it('loses no event and applies none twice when the backend is killed -9 mid-sync', async () => {
    backend = await spawnBackend({ sandbox: true })
    const database = openBackendDb(backend.db)
    const fixture = await createCourierWithRoute(database.db, {
      orders: Array.from({ length: 60 }, (_, i) => ({ codFen: i % 3 === 0 ? 0 : 1000 + i, parcels: 1 + (i % 2) })),
    })
    await database.close()
    let api = new BackendApi(backend.url)
    const device = await api.enroll(fixture.enrollmentCode)
    const shift = await api.login(device.deviceToken, fixture.staffId, fixture.pin)
    const writer = new EventWriter(shift.shiftId)
    const events: DeviceEvent[] = []
    for (let round = 0; round < 10; round++) {
      for (const order of fixture.orders) {
        for (const parcel of order.parcels) {
          events.push(
            writer.next({
              type: 'parcel.scanned',
              payload: { orderId: order.orderId, parcelId: parcel.parcelId, barcode: parcel.barcode, source: 'wedge' },
            }),
          )
        }
      }
    }

    // The device's side: push from what it believes is acked, batch by batch, retrying through outages.
    let acked = 0
    let kills = 0
    let unreachable = 0
    const killAt = new Set([3, 9])
    let batchNo = 0
    while (acked < events.length) {
      const batch = events.slice(acked, acked + 100)
      // Settled at once into an answer or null, so a request cut off by the kill is never an unhandled rejection.
      const pending = api.push(device.deviceToken, device.deviceId, batch).then(
        (answer) => answer,
        () => null,
      )
      batchNo++
      if (killAt.has(batchNo)) {
        // Kill while the request is in flight: it may or may not have committed.
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 8)))
        await backend.stop('SIGKILL')
        kills++
        if ((await pending) === null) unreachable++
        backend = await backend.restart()
        api = new BackendApi(backend.url)
        continue
      }
      const answer = await pending
      if (answer === null) throw new Error('the backend failed while it was not being killed')
      expect(answer.results.every((r) => r.status === 'applied' || r.status === 'duplicate')).toBe(true)
      acked = answer.ackedThrough
    }
    expect(kills).toBe(2)
    expect(unreachable).toBeLessThanOrEqual(2)

    const check = openBackendDb(backend.db)
    try {
      const rows = await check.db
        .selectFrom('device_events')
        .select(['seq', 'event_id', 'status'])
        .where('device_id', '=', device.deviceId)
        .orderBy('seq')
        .execute()
      expect(rows.map((r) => r.seq)).toEqual(events.map((e) => e.seq))
      expect(rows.map((r) => r.event_id)).toEqual(events.map((e) => e.eventId))
      expect(rows.every((r) => r.status === 'applied')).toBe(true)
      const stored = await check.db
        .selectFrom('devices')
        .select('acked_seq')
        .where('id', '=', device.deviceId)
        .executeTakeFirstOrThrow()
      expect(stored.acked_seq).toBe(events.length)
    } finally {
      await check.close()
    }
  }, 90_000)
})
