import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DeviceEvent } from '../../shared/api/events'
import type { ManifestOrder } from '../../shared/api/shift'
import { ApiCallError, type BackendApi } from '../testing/api'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'

/** mulberry32: reproducible randomness, so a failing seed can be replayed. */
function generator(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = Math.imul(state ^ (state >>> 15), state | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ORDERS = [
  { codFen: 6660 },
  { codFen: 0, parcels: 2 },
  { codFen: 19900, parcels: 3 },
  { codFen: 0 },
  { codFen: 3580 },
  { codFen: 12800 },
  { codFen: 0 },
  { codFen: 990, parcels: 2 },
]

/** A courier's day as an outbox: scans (some twice), QR shown, cash and prepaid deliveries, failures, slips. */
function dayOfEvents(courier: LoggedInCourier, random: () => number): DeviceEvent[] {
  const w = courier.events
  const events: DeviceEvent[] = []
  let minute = 0
  const time = () => new Date(Date.parse('2026-03-01T08:00:00+08:00') + minute++ * 60_000).toISOString()
  const orders: ManifestOrder[] = courier.manifest.stops.flatMap((stop) => stop.orders)
  const order = [...orders.keys()].sort(() => random() - 0.5)
  for (const index of order) {
    const o = orders[index]!
    for (const parcel of o.parcels) {
      const times = random() < 0.2 ? 2 : 1
      for (let i = 0; i < times; i++) {
        events.push(
          w.next(
            {
              type: 'parcel.scanned',
              payload: { orderId: o.orderId, parcelId: parcel.parcelId, barcode: parcel.barcode, source: 'wedge' },
            },
            time(),
          ),
        )
      }
    }
    if (random() < 0.1)
      events.push(
        w.next({ type: 'scan.refused', payload: { code: 'JDZZ1', reason: 'malformed', source: 'camera' } }, time()),
      )
    if (o.intent)
      events.push(
        w.next({ type: 'payment.qr_shown', payload: { orderId: o.orderId, intentId: o.intent.intentId } }, time()),
      )
    const outcome = random()
    const completion = (): DeviceEvent =>
      w.next(
        {
          type: 'delivery.completed',
          payload: {
            orderId: o.orderId,
            attempt: 1,
            method: o.codFen > 0 ? 'cash' : 'prepaid',
            dueFen: o.codFen,
            collectedFen: o.codFen,
            intentId: null,
          },
        },
        time(),
      )
    if (outcome < 0.15) {
      events.push(
        w.next({ type: 'delivery.failed', payload: { orderId: o.orderId, attempt: 1, reason: 'not_home' } }, time()),
      )
    } else {
      events.push(completion())
    }
    // A slip: the same delivery recorded twice (a double tap), which must be refused the second time.
    if (random() < 0.15) events.push(completion())
  }
  events.push(w.next({ type: 'shift.cash_declared', payload: { declaredFen: 10_000 } }, time()))
  return events
}

/** Pushes `events` the hard way: random windows, replays, gaps, shuffled batches, lost answers. */
async function pushChaotically(api: BackendApi, courier: LoggedInCourier, events: DeviceEvent[], random: () => number) {
  let acked = 0
  let gaps = 0
  let pushes = 0
  while (acked < events.length) {
    pushes++
    const skipAhead = random() < 0.15
    const start = skipAhead
      ? Math.min(events.length - 1, acked + 1 + Math.floor(random() * 3))
      : Math.floor(random() * (acked + 1))
    const end = Math.min(events.length, start + 1 + Math.floor(random() * 12))
    const batch = events.slice(start, end).sort(() => random() - 0.5)
    try {
      const answer = await api.push(courier.device.deviceToken, courier.device.deviceId, batch)
      // One answer in five is "lost": the device never hears it and will send those events again.
      if (random() >= 0.2) acked = Math.max(acked, answer.ackedThrough)
      expect(answer.ackedThrough).toBeGreaterThanOrEqual(acked)
    } catch (error) {
      if (!(error instanceof ApiCallError) || error.code !== 'events.sequence_gap') throw error
      expect(start).toBeGreaterThan(acked)
      gaps++
    }
  }
  return { pushes, gaps }
}

async function outcome(server: TestBackend, courier: LoggedInCourier) {
  const rows = await server.db
    .selectFrom('device_events')
    .select(['seq', 'status', 'reason'])
    .where('device_id', '=', courier.device.deviceId)
    .orderBy('seq')
    .execute()
  const orders = await server.db
    .selectFrom('orders')
    .select(['position', 'status', 'delivered_method', 'collected_cash_fen'])
    .where('route_id', '=', courier.fixture.routeId)
    .orderBy('position')
    .execute()
  const attempts = await server.db
    .selectFrom('delivery_attempts')
    .select(['seq', 'outcome'])
    .where('device_id', '=', courier.device.deviceId)
    .orderBy('seq')
    .execute()
  return { rows, orders, attempts }
}

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`ingest properties on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({ database: kind })
    })
    afterAll(async () => server?.stop())

    for (const seed of [1, 2, 3, 4, 5]) {
      it(`applies every event exactly once whatever the delivery (seed ${seed})`, async () => {
        // Two couriers with the same route shape live the same day; one syncs cleanly, one through chaos.
        const clean = await loggedInCourier(server, { orders: ORDERS })
        const chaotic = await loggedInCourier(server, { orders: ORDERS })
        const cleanEvents = dayOfEvents(clean, generator(seed))
        const chaoticEvents = dayOfEvents(chaotic, generator(seed))
        expect(chaoticEvents.map((e) => e.type)).toEqual(cleanEvents.map((e) => e.type))

        await server.api.push(clean.device.deviceToken, clean.device.deviceId, cleanEvents)
        const { pushes } = await pushChaotically(server.api, chaotic, chaoticEvents, generator(seed * 7919))
        expect(pushes).toBeGreaterThan(1)

        const expected = await outcome(server, clean)
        const actual = await outcome(server, chaotic)
        expect(actual.rows).toHaveLength(chaoticEvents.length)
        expect(actual).toEqual(expected)
        expect(expected.rows.some((r) => r.status === 'rejected')).toBe(
          cleanEvents.filter((e) => e.type === 'delivery.completed').length +
            cleanEvents.filter((e) => e.type === 'delivery.failed').length >
            ORDERS.length,
        )
        // And once more from the top, everything is a duplicate or the same rejection.
        const replay = await server.api.push(chaotic.device.deviceToken, chaotic.device.deviceId, chaoticEvents)
        expect(replay.results.map((r) => r.status)).toEqual(
          actual.rows.map((r) => (r.status === 'rejected' ? 'rejected' : 'duplicate')),
        )
        expect(await outcome(server, chaotic)).toEqual(actual)
      })
    }
  })
}
