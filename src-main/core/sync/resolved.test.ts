import { afterEach, describe, expect, it } from 'vitest'
import { eventsOf, startTestDevice, until, type TestDevice } from '../testing/device'

const devices: TestDevice[] = []
async function device(): Promise<TestDevice> {
  const created = await startTestDevice({})
  devices.push(created)
  return created
}
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close()
})

describe('the depot closing a work-queue item', () => {
  it('takes a flag the depot resolved off the courier’s list, and keeps it on the shift', async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the stream')
    d.backend.send('flag', { orderId: 'ord_test0004', kind: 'double_payment', intentId: null, amountFen: 500 })
    await until(async () => (await d.core.handlers.getAttention({})).flags.length === 1, 'the flag')
    const before = eventsOf(d, 'attentionChanged').length
    // A message about another kind of flag on the order changes nothing.
    d.backend.send('resolved', {
      item: 'flag',
      orderId: 'ord_test0004',
      flagKind: 'late_payment_after_cash',
      seq: null,
      at: new Date().toISOString(),
    })
    d.backend.send('resolved', {
      item: 'flag',
      orderId: 'ord_test0004',
      flagKind: 'double_payment',
      seq: null,
      at: new Date().toISOString(),
    })
    await until(async () => (await d.core.handlers.getAttention({})).flags.length === 0, 'the flag to leave the list')
    expect(eventsOf(d, 'attentionChanged').length).toBe(before + 1)
    await until(async () => (await d.core.handlers.getSyncStatus({})).attention === 0, 'the status to follow')
    expect((await d.core.handlers.getShiftSummary({})).flags).toEqual([
      expect.objectContaining({ orderId: 'ord_test0004', kind: 'double_payment' }),
    ])
  })

  it('takes a refused event the depot dealt with off the list; the row stays, refused', async () => {
    const d = await device()
    d.backend.rejectWhen((event) => (event.type === 'scan.refused' ? 'order.reassigned' : null))
    await d.core.handlers.scanBarcode({ code: 'JDVA90000000001-1-1-', source: 'wedge' })
    await until(async () => (await d.core.handlers.getAttention({})).rejected.length === 1, 'the refusal')
    const [refused] = await d.core.handlers.getRejectedEvents({})
    await until(() => d.backend.streamClients() === 1, 'the stream')
    d.backend.send('resolved', {
      item: 'rejection',
      orderId: null,
      flagKind: null,
      seq: refused!.seq,
      at: new Date().toISOString(),
    })
    await until(async () => (await d.core.handlers.getAttention({})).rejected.length === 0, 'the refusal to leave')
    expect(await d.core.handlers.getRejectedEvents({})).toEqual([refused])
    await expect(d.core.handlers.acknowledgeRejected({ seq: refused!.seq })).rejects.toMatchObject({
      code: 'attention.not_open',
    })
  })
})
