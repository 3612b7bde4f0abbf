import { BackendRecords } from './support/backend-records'
import { reassignOrder } from './support/depot'
import { DeviceRecords } from './support/device-records'
import { expect, test } from './support/fixtures'
import { shot } from './support/screens'

test('a delivery the depot refused stays on the terminal for attention until the courier has seen it, and the events after it still go', async ({
  courier,
  route,
  sandbox,
  link,
  fieldTerminal,
}) => {
  const [moved, next] = route.filter((o) => o.codFen > 0 && o.barcodes.length === 1)
  const records = new BackendRecords(sandbox.dbFile)
  link.setMode('offline')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'no', { timeout: 15_000 })
  // While the courier is in a dead zone, the supervisor gives the order to another courier.
  await reassignOrder(sandbox.url, records.orderId(moved!.waybill))
  for (const order of [moved!, next!]) {
    await courier.scan(order.barcodes[0]!)
    await courier.tap('pay-cash')
    await courier.tap('cash-confirm')
    await expect(courier.byId('delivery-done')).toContainText(order.waybill)
  }
  link.setMode('online')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-pending', '0', { timeout: 20_000 })

  // The refused events are kept and shown, with the reason in the courier's words.
  const device = new DeviceRecords(fieldTerminal.dir)
  const rejected = device.outbox().filter((e) => e.state === 'rejected')
  expect(rejected.map((e) => e.reason)).toEqual(rejected.map(() => 'order.reassigned'))
  expect(rejected.map((e) => e.type)).toContain('delivery.completed')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-attention', String(rejected.length))
  await courier.byId('sync-chip').click()
  const items = courier.byId('attention-rejected')
  await expect(items).toHaveCount(rejected.length)
  await expect(items.first()).toHaveAttribute('data-reason', 'order.reassigned')
  await expect(items.first()).toContainText('改派')
  await expect(items.first()).toContainText(moved!.waybill)
  await shot(courier.page, 'attention-rejected', 'zh-CN', { targets: true })

  // The courier has seen them: they leave the list, and the device keeps every refused row for the record.
  for (const event of rejected) await courier.tap(`attention-ack-${event.seq}`)
  await expect(items).toHaveCount(0)
  await expect(courier.byId('sync-status')).toHaveAttribute('data-attention', '0')
  expect(device.outbox().filter((e) => e.state === 'rejected')).toEqual(rejected)

  // The events after them were applied: the next delivery is on the backend, once.
  expect(records.attempts(next!.waybill)).toEqual([
    { outcome: 'delivered', method: 'cash', collected_fen: next!.codFen, failure_reason: null },
  ])
  expect(records.attempts(moved!.waybill)).toEqual([])
  const applied = records.deviceEvents(device.deviceId())
  expect(applied.map((e) => e.seq)).toEqual(device.outbox().map((e) => e.seq))
  const lastRejected = Math.max(...rejected.map((e) => e.seq))
  expect(applied.filter((e) => e.seq > lastRejected && e.status === 'applied').length).toBeGreaterThan(0)
})
