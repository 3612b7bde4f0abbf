import { afterEach, describe, expect, it } from 'vitest'
import { FailureReason } from '../../../shared/api/events'
import { outboxOf, startTestDevice, type TestDevice } from '../testing/device'

const devices: TestDevice[] = []
async function device(): Promise<TestDevice> {
  const created = await startTestDevice()
  devices.push(created)
  return created
}
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close()
})

async function readyForCash(d: TestDevice, orderId = 'ord_test0001', code = 'JDVA00000000001-1-1-'): Promise<void> {
  await d.core.handlers.scanBarcode({ code, source: 'wedge' })
  await d.core.handlers.startCash({ orderId })
}

describe('cash', () => {
  it('completes with the exact amount', async () => {
    const d = await device()
    await readyForCash(d)
    const order = await d.core.handlers.recordCash({ orderId: 'ord_test0001', takenFen: 6660 })
    expect(order).toMatchObject({ status: 'delivered', method: 'cash', collectedFen: 6660 })
    expect(outboxOf(d).at(-1)).toMatchObject({
      type: 'delivery.completed',
      payload: { method: 'cash', dueFen: 6660, collectedFen: 6660, intentId: null },
    })
  })

  it('needs an explicit confirmation for a short or extra amount, and changes nothing without it', async () => {
    const d = await device()
    await readyForCash(d)
    const before = outboxOf(d).length
    for (const takenFen of [6000, 7000]) {
      await expect(d.core.handlers.recordCash({ orderId: 'ord_test0001', takenFen })).rejects.toMatchObject({
        code: 'cash.needs_confirmation',
        details: { due: '¥66.60' },
      })
    }
    expect(outboxOf(d)).toHaveLength(before)
    const order = await d.core.handlers.recordCash({ orderId: 'ord_test0001', takenFen: 6000, confirmMismatch: true })
    expect(order).toMatchObject({ status: 'delivered', collectedFen: 6000 })
    expect((await d.core.handlers.getShiftSummary({})).cashToHandInFen).toBe(6000)
  })

  it('is refused until the cash panel is open, which withdraws the digital intent first', async () => {
    const d = await device()
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })
    await expect(d.core.handlers.recordCash({ orderId: 'ord_test0001', takenFen: 6660 })).rejects.toMatchObject({
      code: 'cash.panel_closed',
    })
    expect(outboxOf(d).at(-1)).toMatchObject({ type: 'parcel.scanned' })
  })

  it('waits until every parcel is scanned', async () => {
    const d = await device()
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000003-1-2-', source: 'wedge' })
    await expect(d.core.handlers.startCash({ orderId: 'ord_test0003' })).rejects.toMatchObject({
      code: 'collect.parcels_missing',
    })
  })
})

describe('failed delivery', () => {
  it('records each reason in one call', async () => {
    for (const reason of FailureReason.options) {
      const d = await device()
      await d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })
      const order = await d.core.handlers.recordFailure({ orderId: 'ord_test0001', reason })
      expect(order).toMatchObject({ status: 'failed', failureReason: reason })
      expect(outboxOf(d).at(-1)).toMatchObject({ type: 'delivery.failed', payload: { reason, attempt: 1 } })
      expect((await d.core.handlers.getRoute({})).counters.failed).toBe(1)
    }
  })

  it('cannot fail an order twice', async () => {
    const d = await device()
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })
    await d.core.handlers.recordFailure({ orderId: 'ord_test0001', reason: 'refused' })
    await expect(d.core.handlers.recordFailure({ orderId: 'ord_test0001', reason: 'damaged' })).rejects.toMatchObject({
      code: 'order.closed',
    })
  })
})
