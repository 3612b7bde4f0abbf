/**
 * Backend ingest on SQLite: devices push realistic outbox batches (scans, QR shown, cash, prepaid and failed
 * deliveries, cash declarations) of 500 events over HTTP to a real backend process, and we count events the
 * backend acknowledged per second. DESIGN section 7: at least 3,000 events/s on 2 cores.
 */
import type { DeviceEvent } from '../shared/api/events'
import { openBackendDb } from '../backend/db/connect'
import { BackendApi, EventWriter } from '../backend/testing/api'
import { createCourierWithRoute } from '../backend/testing/fixtures'
import { spawnBackend } from '../backend/testing/backend'
import { percentile, type Bench } from './figures'
import { courierOutbox } from './workload'

const DEVICES = 4
const ORDERS_PER_DEVICE = 600
const BATCH = 500

const bench: Bench = async (context) => {
  const figure = (f: Parameters<typeof context.figure>[0]) => context.figure(f)
  const log = (message: string) => context.log(message)
  const backend = await spawnBackend({ sandbox: true, env: { LOG_LEVEL: 'error' } })
  const database = openBackendDb(backend.db)
  const api = new BackendApi(backend.url)
  try {
    const devices: { deviceId: string; token: string; events: DeviceEvent[] }[] = []
    for (let d = 0; d < DEVICES; d++) {
      const fixture = await createCourierWithRoute(database.db, {
        orders: Array.from({ length: ORDERS_PER_DEVICE }, (_, i) => ({
          codFen: i % 5 < 3 ? [6660, 19900, 3580, 12800, 8990][i % 5]! : 0,
          parcels: i % 17 === 0 ? 2 : 1,
        })),
      })
      const device = await api.enroll(fixture.enrollmentCode)
      const shift = await api.login(device.deviceToken, fixture.staffId, fixture.pin)
      const manifest = await api.manifest(shift.shiftToken, shift.shiftId)
      const intents = new Map(
        manifest.stops.flatMap((s) =>
          s.orders.flatMap((o) => (o.intent ? [[o.orderId, o.intent.intentId] as const] : [])),
        ),
      )
      devices.push({
        deviceId: device.deviceId,
        token: device.deviceToken,
        events: courierOutbox(new EventWriter(shift.shiftId), fixture.orders, intents),
      })
    }
    const total = devices.reduce((sum, d) => sum + d.events.length, 0)
    log(`${DEVICES} devices, ${total} events in batches of ${BATCH}, over HTTP to a backend process on SQLite`)

    const batchMs: number[] = []
    let rejected = 0
    const started = performance.now()
    await Promise.all(
      devices.map(async (device) => {
        for (let at = 0; at < device.events.length; at += BATCH) {
          const sent = performance.now()
          const answer = await api.push(device.token, device.deviceId, device.events.slice(at, at + BATCH))
          batchMs.push(performance.now() - sent)
          rejected += answer.results.filter((r) => r.status !== 'applied').length
        }
      }),
    )
    const seconds = (performance.now() - started) / 1000
    if (rejected > 0) log(`${rejected} events were not applied: the figure below counts them anyway`)
    figure({
      name: 'ingest, SQLite',
      value: Math.round(total / seconds),
      unit: 'events/s',
      target: { op: '>=', value: 3000 },
    })
    figure({ name: 'ingest batch of 500, p95', value: Math.round(percentile(batchMs, 95)), unit: 'ms' })

    // Replaying everything (a device that lost every response) must be at least as quick: nothing is applied.
    const replayStart = performance.now()
    for (const device of devices) {
      for (let at = 0; at < device.events.length; at += BATCH) {
        await api.push(device.token, device.deviceId, device.events.slice(at, at + BATCH))
      }
    }
    figure({
      name: 'replay of acknowledged events',
      value: Math.round(total / ((performance.now() - replayStart) / 1000)),
      unit: 'events/s',
    })
  } finally {
    await database.close()
    await backend.stop()
  }
}

export default bench
