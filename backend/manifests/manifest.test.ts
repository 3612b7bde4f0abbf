import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiErrorResponse } from '../../shared/api/common'
import { decodeCollectionQr } from '../../shared/emv/collection-qr'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'
import { createCourierWithRoute } from '../testing/fixtures'

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`manifest on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({ database: kind })
    })
    afterAll(async () => server?.stop())

    it('lists the stops in route order with parcels, masked recipients, amounts, intents and the receipt key', async () => {
      const courier = await loggedInCourier(server, {
        stops: [
          {
            address: '苏州市相城区嘉元路959号 玉成家园12幢',
            orders: [
              { codFen: 6660, recipientName: '吴磊', recipientPhone: '13812345678', address: '玉成家园12幢502室' },
              { codFen: 0, parcels: 2, recipientName: '欧阳娜娜', recipientPhone: '13900001111' },
            ],
          },
          { address: '苏州市相城区御窑路88号', orders: [{ codFen: 19900, parcels: 3 }] },
        ],
      })
      const { manifest, fixture, device } = courier
      expect(manifest.shiftId).toBe(courier.shift.shiftId)
      expect(manifest.courierId).toBe(fixture.courierId)
      expect(manifest.routeDate).toBe(fixture.routeDate)
      expect(manifest.version).toBe(1)
      expect(manifest.acquirer).toEqual({
        acquirerId: server.sandbox!.identity.acquirerId,
        receiptPublicKey: server.sandbox!.identity.publicKey,
      })
      expect(manifest.stops.map((stop) => stop.sequence)).toEqual([1, 2])
      const [cod, prepaid] = manifest.stops[0]!.orders
      const multi = manifest.stops[1]!.orders[0]!
      expect(cod).toMatchObject({
        waybill: fixture.orders[0]!.waybill,
        codFen: 6660,
        recipient: { maskedName: '吴*', maskedPhone: '138****5678' },
        address: '玉成家园12幢502室',
        status: 'pending',
        attempt: 1,
      })
      expect(prepaid).toMatchObject({
        codFen: 0,
        intent: null,
        recipient: { maskedName: '欧***', maskedPhone: '139****1111' },
      })
      expect(prepaid!.parcels.map((p) => p.barcode)).toEqual([
        `${fixture.orders[1]!.waybill}-1-2-`,
        `${fixture.orders[1]!.waybill}-2-2-`,
      ])
      expect(multi.parcels.map((p) => [p.index, p.count])).toEqual([
        [1, 3],
        [2, 3],
        [3, 3],
      ])
      expect(JSON.stringify(manifest)).not.toContain('13812345678')
      expect(JSON.stringify(manifest)).not.toContain('吴磊')

      for (const order of [cod!, multi]) {
        const intent = order.intent!
        expect(intent).toMatchObject({ orderId: order.orderId, attempt: 1, amountFen: order.codFen, status: 'pending' })
        expect(Date.parse(intent.expiresAt)).toBeGreaterThan(Date.now() + 60 * 60_000)
        expect(decodeCollectionQr(intent.qrPayload)).toMatchObject({
          acquirerId: server.sandbox!.identity.acquirerId,
          amountFen: order.codFen,
          merchantName: 'JD Logistics Xiangcheng',
          merchantCity: 'Suzhou',
          waybill: order.waybill,
          intentId: intent.intentId,
          deviceId: device.deviceId,
        })
      }
    })

    it('creates each intent once, with the acquirer keyed cod:{orderId}:{attempt}, however often it is fetched', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 12800 }, { codFen: 3580 }, { codFen: 0 }] })
      const again = await Promise.all(
        [1, 2, 3].map(() => server.api.manifest(courier.shift.shiftToken, courier.shift.shiftId)),
      )
      const ids = (m: typeof courier.manifest) =>
        m.stops.flatMap((s) => s.orders.map((o) => o.intent?.intentId ?? null))
      for (const manifest of again) expect(ids(manifest)).toEqual(ids(courier.manifest))
      for (const order of courier.fixture.orders.filter((o) => o.codFen > 0)) {
        const rows = server
          .sandbox!.store.sqlite.prepare('select key from intents where key like ?')
          .all(`cod:${order.orderId}:%`) as { key: string }[]
        expect(rows).toEqual([{ key: `cod:${order.orderId}:1` }])
      }
    })

    it('says so when no acquirer can create intents, instead of a manifest without them', async () => {
      const lonely = await startTestBackend({ database: kind, sandbox: false })
      try {
        const courier = await createCourierWithRoute(lonely.db)
        const device = await lonely.api.enroll(courier.enrollmentCode)
        const shift = await lonely.api.login(device.deviceToken, courier.staffId, courier.pin)
        const answer = await lonely.api.raw('GET', `/api/v1/shifts/${shift.shiftId}/manifest`, {
          token: shift.shiftToken,
        })
        expect(answer.status).toBe(503)
        expect(ApiErrorResponse.parse(answer.json).error.code).toBe('acquirer.not_configured')
      } finally {
        await lonely.stop()
      }
    })
  })
}
