import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SupervisorLoginResponse } from '../../shared/api/depot'
import { parseBarcode } from '../../shared/waybill'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { snapshotTables } from '../testing/snapshot'
import { DEMO_DEVICE_ID, demoStops, seedDemo } from './demo'

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`demo seed on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({ database: kind, seed: 'demo' })
    })
    afterAll(async () => server?.stop())

    it("makes today's 40-stop route: about 60% COD at real amounts, some prepaid, multi-parcel orders", async () => {
      const demo = server.demo!
      const orders = await server.db.selectFrom('orders').selectAll().where('depot_id', '=', demo.depotId).execute()
      const stops = await server.db.selectFrom('stops').selectAll().execute()
      expect(stops).toHaveLength(40)
      expect(orders.length).toBe(demo.orders)
      const cod = orders.filter((o) => o.cod_fen > 0)
      expect(cod.length / orders.length).toBeGreaterThan(0.5)
      expect(cod.length / orders.length).toBeLessThan(0.7)
      expect(orders.some((o) => o.cod_fen === 6660)).toBe(true)
      expect(orders.some((o) => o.cod_fen === 19900)).toBe(true)
      const parcels = await server.db.selectFrom('parcels').selectAll().execute()
      const multi = new Set(parcels.filter((p) => p.count > 1).map((p) => p.order_id))
      expect(multi.size).toBeGreaterThanOrEqual(2)
      for (const parcel of parcels) expect(parseBarcode(parcel.barcode).kind).toBe('parcel')
      expect(orders.every((o) => o.address.startsWith('苏州市相城区'))).toBe(true)
      expect(orders.every((o) => o.route_date === demo.routeDate)).toBe(true)
    })

    it('is deterministic and changes nothing when run again, except for a fresh enrollment code', async () => {
      expect(demoStops()).toEqual(demoStops())
      const before = await snapshotTables(server.db)
      const again = await seedDemo(server.db)
      const after = await snapshotTables(server.db)
      expect(again.enrollmentCode.code).not.toBe(server.demo!.enrollmentCode.code)
      expect(after.enrollment_codes!.length).toBe(before.enrollment_codes!.length + 1)
      expect({ ...after, enrollment_codes: [] }).toEqual({ ...before, enrollment_codes: [] })
    })

    it('lets the printed people and device in: couriers by PIN, the supervisor by password, the demo device', async () => {
      const demo = server.demo!
      const device = await server.api.enroll(demo.enrollmentCode.code)
      for (const courier of demo.couriers) {
        const shift = await server.api.login(device.deviceToken, courier.staffId, courier.pin)
        expect(shift.courier.name).toBe(courier.name)
      }
      const first = await server.api.login(demo.device.deviceToken, demo.couriers[0]!.staffId, demo.couriers[0]!.pin)
      expect(first.deviceId).toBe(DEMO_DEVICE_ID)
      const manifest = await server.api.manifest(first.shiftToken, first.shiftId)
      expect(manifest.stops).toHaveLength(40)
      expect(manifest.stops[0]!.orders[0]!.codFen).toBe(6660)
      expect(manifest.stops.flatMap((s) => s.orders).every((o) => o.codFen > 0 === (o.intent !== null))).toBe(true)
      const supervisor = await server.api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, {
        json: { login: demo.supervisor.login, password: demo.supervisor.password },
      })
      expect(supervisor.depot.depotId).toBe(demo.depotId)
    })
  })
}
