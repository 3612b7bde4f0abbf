import { formatFen } from '../shared/money'
import { BackendRecords } from './support/backend-records'
import { Courier } from './support/courier'
import type { DemoOrder } from './support/demo-route'
import { issueEnrollmentCode } from './support/depot'
import { expect, test } from './support/fixtures'
import { startTerminal } from './support/processes'
import { payQr } from './support/sandbox'
import { shotBoth } from './support/screens'

const codOrders = (route: DemoOrder[]): DemoOrder[] => route.filter((o) => o.codFen > 0 && o.barcodes.length === 1)

/**
 * Issue 10, point 6: a courier whose battery died logs in on a second terminal mid-shift. The new terminal shows
 * exactly the backend's truth (the first terminal's deliveries done, no false refund alerts, both terminals' money
 * in the totals), and the first, when it comes back, sends what it held, learns the shift moved, and acts no more.
 */
test('6. a device swap mid-shift: the second terminal shows the backend’s truth, the first stops acting', async ({
  courier,
  route,
  sandbox,
  link,
  fieldTerminal,
  page,
  browser,
}) => {
  test.setTimeout(150_000)
  const [cash, digital, offlineCash, untouched] = codOrders(route)
  const records = new BackendRecords(sandbox.dbFile)

  // Terminal 1: a cash delivery and a digital one, both reach the depot.
  await courier.scan(cash!.barcodes[0]!)
  await courier.tap('pay-cash')
  await courier.tap('cash-confirm')
  await courier.scan(digital!.barcodes[0]!)
  await courier.tap('pay-digital')
  await payQr(sandbox.url, await courier.readPaymentQr())
  await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'digital', { timeout: 10_000 })
  await expect(courier.byId('sync-status')).toHaveAttribute('data-all-sent', 'yes', { timeout: 15_000 })
  // Then a cash delivery in a dead zone, and the battery dies before it is sent.
  link.setMode('offline')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'no', { timeout: 15_000 })
  await courier.scan(offlineCash!.barcodes[0]!)
  await courier.tap('pay-cash')
  await courier.tap('cash-confirm')
  await expect(courier.byId('sync-status')).not.toHaveAttribute('data-pending', '0')

  // Terminal 2, enrolled with a fresh code, the same courier logs in.
  const second = await startTerminal(sandbox.url)
  const context = await browser.newContext({ viewport: { width: 480, height: 854 }, locale: 'zh-CN' })
  try {
    const page2 = await context.newPage()
    await page2.goto(second.url)
    const courier2 = new Courier(page2)
    await courier2.startShift(await issueEnrollmentCode(sandbox.url))

    // What terminal 1 sent is done here, with its money, and nothing is flagged.
    await courier2.byId('tab-shift').click()
    const totals = courier2.byId('shift-totals')
    await expect(totals).toHaveAttribute('data-delivered', '2')
    await expect(totals).toHaveAttribute('data-cash-fen', String(cash!.codFen))
    await expect(totals).toHaveAttribute('data-digital-fen', String(digital!.codFen))
    await expect(courier2.byId('shift-flags')).toHaveCount(0)
    await expect(courier2.byId('round-screen')).toHaveAttribute('data-flags-waiting', '0')
    await expect(courier2.byId('flag-dialog')).toBeHidden()
    await shotBoth(page2, second.url, 'device-swap-second', { fullPage: true })
    // The orders terminal 1 closed are refused here as delivered; the one it never sent is still open.
    await courier2.byId('tab-scan').click()
    await courier2.scan(cash!.barcodes[0]!)
    await expect(courier2.byId('scan-refusal')).toHaveAttribute('data-reason', 'already_delivered')

    // Terminal 1 comes back: its queued delivery goes out, it learns the shift moved, and it refuses to act.
    link.setMode('online')
    const moved = courier.byId('shift-moved')
    await expect(moved).toBeVisible({ timeout: 20_000 })
    await expect(moved).toHaveAttribute('data-device-id', /^dev_/)
    await expect
      .poll(() => records.attempts(offlineCash!.waybill), { timeout: 15_000 })
      .toEqual([{ outcome: 'delivered', method: 'cash', collected_fen: offlineCash!.codFen, failure_reason: null }])
    await courier.scan(untouched!.barcodes[0]!)
    await expect(moved).toBeVisible()
    await shotBoth(page, fieldTerminal.url, 'device-swap-first', { targets: true })
    expect(records.events(untouched!.waybill)).toEqual([])

    // Terminal 2 is told the route changed, and now counts the delivery terminal 1 sent late.
    await courier2.byId('tab-shift').click()
    await expect(totals).toHaveAttribute('data-delivered', '3', { timeout: 15_000 })
    await expect(totals).toHaveAttribute('data-cash-fen', String(cash!.codFen + offlineCash!.codFen))
    await expect(courier2.byId('shift-cash-to-hand-in')).toHaveText(formatFen(cash!.codFen + offlineCash!.codFen))
    expect(records.flags(digital!.waybill)).toEqual([])
  } finally {
    await context.close()
    await second.stop()
  }
})
