import { afterEach, describe, expect, it } from 'vitest'
import type { RefundState } from '../../../shared/api/closure'
import { queryDevice, startTestDevice, until, type TestDevice } from '../testing/device'

const devices: TestDevice[] = []
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close()
})

async function device(): Promise<TestDevice> {
  const created = await startTestDevice({})
  devices.push(created)
  return created
}

/** Delivers order 1 (¥66.60) digitally: the customer scans the QR and pays, the stream says so. */
async function paidAtDoor(d: TestDevice): Promise<void> {
  await until(() => d.backend.streamClients() === 1, 'the stream')
  await d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })
  await d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })
  d.backend.send('payment', { ...d.backend.pay('pi_test0001'), orderId: 'ord_test0001' })
  await until(async () => (await d.core.handlers.getOrder({ orderId: 'ord_test0001' })).status === 'delivered', 'paid')
}

const money = async (d: TestDevice) => (await d.core.handlers.getShiftSummary({})).money

const refund = (status: RefundState, amountFen = 6660) => ({
  orderId: 'ord_test0001',
  intentId: 'pi_test0001',
  refundNo: 'rfd_flgtest0001',
  amountFen,
  status,
})

describe('refunds and owed money on the shift summary', () => {
  it('counts a second payment as held, then due once approved, then paid back; a late "accepted" never undoes it', async () => {
    const d = await device()
    await paidAtDoor(d)
    expect(await money(d)).toMatchObject({ digitalConfirmedFen: 6660, collectedFen: 6660, netFen: 6660 })
    // The customer paid the same order again: the backend flags it for refund.
    d.backend.send('flag', {
      orderId: 'ord_test0001',
      kind: 'double_payment',
      intentId: 'pi_test0001',
      amountFen: 6660,
    })
    await until(async () => (await money(d)).refundsDueCount === 1, 'the flag counted as due')
    expect(await money(d)).toMatchObject({
      digitalConfirmedFen: 13_320,
      digitalConfirmedCount: 2,
      collectedFen: 13_320,
      refundsDueFen: 6660,
      refundsPaidFen: 0,
      netFen: 13_320,
    })
    d.backend.send('refund', refund('processing'))
    await until(() => queryDevice(d, 'SELECT 1 FROM refunds').length === 1, 'the refund accepted')
    // Accepted is not succeeded: still due, and counted once (the refund, not the flag as well).
    expect(await money(d)).toMatchObject({ refundsDueFen: 6660, refundsDueCount: 1, refundsPaidFen: 0 })
    d.backend.send('refund', refund('succeeded'))
    await until(async () => (await money(d)).refundsPaidCount === 1, 'the refund paid back')
    // A replayed "accepted" arriving after the success leaves it paid back.
    d.backend.send('refund', refund('processing'))
    d.backend.send('refund', { ...refund('failed'), orderId: 'ord_test9999', refundNo: 'rfd_other' })
    d.backend.send('payment', { ...d.backend.intents.get('pi_test0001')!, orderId: 'ord_test0001' })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(await money(d)).toEqual({
      digitalConfirmedFen: 13_320,
      digitalConfirmedCount: 2,
      digitalAwaitingFen: 0,
      owedFen: 0,
      owedCount: 0,
      cashFen: 0,
      collectedFen: 13_320,
      refundsDueFen: 0,
      refundsDueCount: 0,
      refundsPaidFen: 6660,
      refundsPaidCount: 1,
      netFen: 6660,
    })
  })

  it('shows a failed refund as still due', async () => {
    const d = await device()
    await paidAtDoor(d)
    d.backend.send('refund', refund('failed', 3000))
    await until(async () => (await money(d)).refundsDueCount === 1, 'the failed refund')
    expect(await money(d)).toMatchObject({ refundsDueFen: 3000, refundsPaidFen: 0, digitalConfirmedFen: 9660 })
  })

  it('counts "paid, to be verified" as awaiting, and as owed once the backend found no such payment', async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the stream')
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000004-1-1-', source: 'wedge' })
    await d.core.handlers.showPaymentQr({ orderId: 'ord_test0004' })
    await d.core.handlers.recordUnverified({ orderId: 'ord_test0004' })
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })
    await d.core.handlers.startCash({ orderId: 'ord_test0001' })
    await d.core.handlers.recordCash({ orderId: 'ord_test0001', takenFen: 6660 })
    expect(await money(d)).toMatchObject({
      digitalConfirmedFen: 0,
      digitalAwaitingFen: 500,
      owedFen: 0,
      cashFen: 6660,
      collectedFen: 6660,
      netFen: 6660,
    })
    d.backend.send('settlement', {
      orderId: 'ord_test0004',
      intentId: 'pi_test0004',
      verdict: 'not_found',
      transactionId: null,
    })
    await until(async () => (await money(d)).owedCount === 1, 'the claim owed')
    expect(await money(d)).toMatchObject({ digitalAwaitingFen: 0, owedFen: 500, collectedFen: 6660 })
    expect((await d.core.handlers.getShiftSummary({})).cashToHandInFen).toBe(6660)
  })

  it('learns refunds and verdicts it missed from the manifest it fetches again (a reconnect, a swap)', async () => {
    const d = await device()
    await paidAtDoor(d)
    const order1 = d.backend.manifest.stops[0]!.orders[0]!
    order1.money = {
      refunds: [refund('succeeded', 2000), { ...refund('processing', 1000), refundNo: 'rfd_flgtest0002' }],
      settlement: null,
    }
    const order4 = d.backend.manifest.stops[2]!.orders[0]!
    order4.status = 'delivered'
    order4.outcome = { method: 'digital', collectedFen: 500, failureReason: null, closedAt: new Date().toISOString() }
    order4.money = { refunds: [], settlement: { intentId: 'pi_test0004', verdict: 'not_found' } }
    await d.core.handlers.downloadManifest({})
    const first = await money(d)
    expect(first).toMatchObject({
      digitalConfirmedFen: 6660 + 3000,
      refundsPaidFen: 2000,
      refundsPaidCount: 1,
      refundsDueFen: 1000,
      owedFen: 500,
      owedCount: 1,
      netFen: 6660 + 3000 - 2000,
    })
    // The same manifest again changes nothing.
    await d.core.handlers.downloadManifest({})
    expect(await money(d)).toEqual(first)
  })
})
