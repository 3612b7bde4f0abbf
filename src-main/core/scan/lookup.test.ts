import { afterEach, describe, expect, it } from 'vitest'
import { eventsOf, outboxOf, startTestDevice, type TestDevice } from '../testing/device'

const devices: TestDevice[] = []
async function device(): Promise<TestDevice> {
  const created = await startTestDevice()
  // Keep the outbox still so the tests can read what each scan wrote.
  created.core.sync.stop()
  devices.push(created)
  return created
}
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close()
})

describe('scanning a barcode', () => {
  it('opens the order card for a parcel label and records the scan', async () => {
    const d = await device()
    const outcome = await d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })
    expect(outcome).toMatchObject({
      outcome: 'accepted',
      parcelIndex: 1,
      newlyScanned: true,
      completed: false,
      order: { waybill: 'JDVA00000000001', codFen: 6660, maskedName: '吴*', readyToCollect: true, scannedCount: 1 },
    })
    expect(eventsOf(d, 'routeChanged')).toContainEqual({ orderIds: ['ord_test0001'] })
    expect(outboxOf(d).at(-1)).toMatchObject({
      type: 'parcel.scanned',
      payload: { orderId: 'ord_test0001', parcelId: 'par_test11', barcode: 'JDVA00000000001-1-1-', source: 'wedge' },
    })
  })

  it('accepts a bare waybill for a one-parcel order, lower case and padded', async () => {
    const d = await device()
    const outcome = await d.core.handlers.scanBarcode({ code: '  jdva00000000004 ', source: 'manual' })
    expect(outcome).toMatchObject({ outcome: 'accepted', parcelIndex: 1, order: { readyToCollect: true } })
  })

  it('counts a multi-parcel order as 1 of 2, then 2 of 2, and a repeat scan changes nothing', async () => {
    const d = await device()
    const first = await d.core.handlers.scanBarcode({ code: 'JDVA00000000003-1-2-', source: 'wedge' })
    expect(first).toMatchObject({ outcome: 'accepted', order: { scannedCount: 1, readyToCollect: false } })
    await expect(d.core.handlers.showPaymentQr({ orderId: 'ord_test0003' })).rejects.toMatchObject({
      code: 'collect.parcels_missing',
      details: { scanned: 1, count: 2 },
    })
    const again = await d.core.handlers.scanBarcode({ code: 'JDVA00000000003-1-2-', source: 'wedge' })
    expect(again).toMatchObject({ outcome: 'accepted', newlyScanned: false, order: { scannedCount: 1 } })
    const second = await d.core.handlers.scanBarcode({ code: 'JDVA00000000003-2-2-', source: 'camera' })
    expect(second).toMatchObject({ outcome: 'accepted', order: { scannedCount: 2, readyToCollect: true } })
  })

  it('completes a prepaid order on the scan itself', async () => {
    const d = await device()
    const outcome = await d.core.handlers.scanBarcode({ code: 'JDVA00000000002-1-1-', source: 'wedge' })
    expect(outcome).toMatchObject({
      outcome: 'accepted',
      completed: true,
      order: { status: 'delivered', method: 'prepaid' },
    })
    const route = await d.core.handlers.getRoute({})
    expect(route.counters).toMatchObject({ delivered: 1, toGo: 3 })
    expect(
      outboxOf(d)
        .slice(-2)
        .map((e) => e.type),
    ).toEqual(['parcel.scanned', 'delivery.completed'])
    expect(outboxOf(d).at(-1)).toMatchObject({ payload: { method: 'prepaid', dueFen: 0, collectedFen: 0 } })
  })

  it('refuses, and logs, a code that is malformed, not on the manifest, or already delivered', async () => {
    const d = await device()
    const cases = [
      { code: 'JDVA0000#$%^&1-1-1-', reason: 'malformed' },
      { code: 'hello world', reason: 'malformed' },
      { code: 'JDVA00000000001-3-2-', reason: 'malformed' },
      { code: 'JDVA99999999999-1-1-', reason: 'not_on_manifest' },
      { code: 'JDVA00000000001-1-2-', reason: 'not_on_manifest' },
    ] as const
    for (const { code, reason } of cases) {
      expect(await d.core.handlers.scanBarcode({ code, source: 'wedge' }), code).toMatchObject({
        outcome: 'refused',
        reason,
      })
    }
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000002-1-1-', source: 'wedge' })
    expect(await d.core.handlers.scanBarcode({ code: 'JDVA00000000002-1-1-', source: 'wedge' })).toMatchObject({
      outcome: 'refused',
      reason: 'already_delivered',
      waybill: 'JDVA00000000002',
    })
    const refused = outboxOf(d).filter((e) => e.type === 'scan.refused')
    expect(refused.map((e) => e.payload)).toEqual([
      ...cases.map(({ code, reason }) => ({ code, reason, source: 'wedge' })),
      { code: 'JDVA00000000002-1-1-', reason: 'already_delivered', source: 'wedge' },
    ])
  })

  it('says why a closed order is refused', async () => {
    const d = await device()
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000004-1-1-', source: 'wedge' })
    await d.core.handlers.recordFailure({ orderId: 'ord_test0004', reason: 'not_home' })
    expect(await d.core.handlers.scanBarcode({ code: 'JDVA00000000004-1-1-', source: 'wedge' })).toMatchObject({
      outcome: 'refused',
      reason: 'order_closed',
      orderStatus: 'failed',
    })
  })
})
