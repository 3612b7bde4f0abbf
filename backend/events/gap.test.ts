import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DeviceEvent } from '../../shared/api/events'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'

/**
 * Issue 11, point 8: a device that no longer holds the events a backend asks for (it pruned them; the backend was
 * restored from an older backup) is never stuck: it sends what it has with the gap named, the backend accepts the
 * batch past it, and the gap goes on the depot's "needs attention" list.
 */

const at = (second: number): string => new Date(Date.parse('2026-03-01T09:00:00+08:00') + second * 1000).toISOString()

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`sequence gaps on ${kind}`, () => {
    let server: TestBackend
    beforeAll(async () => {
      server = await startTestBackend({ database: kind })
    })
    afterAll(async () => server?.stop())

    const refused = (courier: LoggedInCourier, n: number): DeviceEvent =>
      courier.events.next(
        {
          type: 'scan.refused',
          payload: { code: `JDXX${String(n).padStart(11, '0')}`, reason: 'not_on_manifest', source: 'wedge' },
        },
        at(n),
      )
    const push = (courier: LoggedInCourier, body: unknown) =>
      server.api.raw('POST', `/api/v1/devices/${courier.device.deviceId}/events`, {
        token: courier.device.deviceToken,
        json: body,
      })

    it('refuses a gap without the device saying so, and accepts past it when the device names it', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 100 }] })
      const first = [1, 2].map((n) => refused(courier, n))
      expect((await push(courier, { events: first })).status).toBe(200)
      // Events 3 to 5 are gone from the device: it has 6 and 7.
      for (const n of [3, 4, 5]) refused(courier, n)
      const kept = [6, 7].map((n) => refused(courier, n))
      const plain = await push(courier, { events: kept })
      expect(plain).toMatchObject({
        status: 409,
        json: { error: { code: 'events.sequence_gap', details: { expected: 3 } } },
      })

      // A claim that does not start where the backend stands changes nothing.
      expect((await push(courier, { events: kept, gap: { expected: 2 } })).status).toBe(409)
      const past = await push(courier, { events: kept, gap: { expected: 3 } })
      expect(past).toMatchObject({ status: 200, json: { ackedThrough: 7 } })
      expect((past.json as { results: { status: string }[] }).results.map((r) => r.status)).toEqual([
        'applied',
        'applied',
      ])
      const gaps = await server.db
        .selectFrom('device_gaps')
        .selectAll()
        .where('device_id', '=', courier.device.deviceId)
        .execute()
      expect(gaps).toEqual([expect.objectContaining({ from_seq: 3, to_seq: 5 })])
      const listed = await server.db
        .selectFrom('dashboard_rejections')
        .select(['seq', 'type', 'reason'])
        .where('device_id', '=', courier.device.deviceId)
        .execute()
      expect(listed).toEqual([{ seq: 3, type: 'sync.gap:3-5', reason: 'sync.gap_skipped' }])
      // The same push again is a replay: duplicates, nothing recorded twice.
      const again = await push(courier, { events: kept, gap: { expected: 3 } })
      expect((again.json as { results: { status: string }[] }).results.map((r) => r.status)).toEqual([
        'duplicate',
        'duplicate',
      ])
      expect(await server.db.selectFrom('device_gaps').selectAll().execute()).toHaveLength(gaps.length)
    })
  })
}
