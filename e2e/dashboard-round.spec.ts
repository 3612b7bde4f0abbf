import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { formatFen } from '../shared/money'
import { BackendRecords } from './support/backend-records'
import type { Courier } from './support/courier'
import type { DemoOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { payQr } from './support/sandbox'

const SHOTS = join(import.meta.dirname, '.artifacts', 'screens')
mkdirSync(SHOTS, { recursive: true })

type Door = 'digital' | 'cash' | 'prepaid' | 'not_home' | 'refused'

/** Delivers one order through the real terminal, the way a courier does it at the door. */
async function deliver(courier: Courier, order: DemoOrder, door: Door, sandboxUrl: string): Promise<void> {
  for (const barcode of order.barcodes) await courier.scan(barcode)
  switch (door) {
    case 'prepaid':
      break
    case 'cash':
      await courier.tap('pay-cash')
      await courier.tap('cash-confirm')
      break
    case 'digital': {
      await courier.tap('pay-digital')
      await payQr(sandboxUrl, await courier.readPaymentQr())
      await expect(courier.byId('payment-status')).toHaveAttribute('data-state', 'paid')
      break
    }
    default:
      await courier.tap('pay-failed')
      await courier.tap(`fail-${door}`)
  }
  // A failure's banner names the reason, a delivery's the waybill.
  await expect(courier.byId('delivery-done')).toBeVisible()
  if (door !== 'not_home' && door !== 'refused')
    await expect(courier.byId('delivery-done')).toContainText(order.waybill)
}

/** The terminal's shift totals, as its shift summary shows them. */
async function terminalTotals(courier: Courier) {
  await courier.byId('tab-shift').click()
  const totals = courier.byId('shift-totals')
  await expect(totals).toHaveAttribute('data-pending-events', '0', { timeout: 20_000 })
  const read = async (name: string) => Number(await totals.getAttribute(name))
  const result = {
    delivered: await read('data-delivered'),
    failed: await read('data-failed'),
    digitalFen: await read('data-digital-fen'),
    cashFen: await read('data-cash-fen'),
    cashToHandIn: (await courier.byId('shift-cash-to-hand-in').textContent())!.trim(),
  }
  await courier.byId('tab-scan').click()
  return result
}

async function dashboardShows(dashboard: Page, totals: Awaited<ReturnType<typeof terminalTotals>>) {
  const row = dashboard.locator('[data-testid="courier-row"][data-staff-id="SZ1001"]')
  await expect(row).toHaveAttribute('data-delivered', String(totals.delivered), { timeout: 15_000 })
  await expect(row).toHaveAttribute('data-failed', String(totals.failed))
  await expect(row).toHaveAttribute('data-cash-fen', String(totals.cashFen))
  await expect(row).toHaveAttribute('data-digital-fen', String(totals.digitalFen))
  await expect(row).toHaveAttribute('data-awaiting-fen', '0')
  await expect(dashboard.getByTestId('kpi-delivered')).toHaveAttribute('data-value', String(totals.delivered))
}

test('a dozen parcels through the real terminal, with an offline stretch: the dashboard equals the terminal and the backend', async ({
  courier,
  route,
  sandbox,
  link,
  browser,
}) => {
  test.setTimeout(180_000)
  // The supervisor's screen, in a browser of its own, open throughout the round.
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN' })
  const dashboard = await context.newPage()
  await dashboard.goto(`${sandbox.url}/depot/`)
  await dashboard.getByTestId('depot-login').fill('zhang.wei')
  await dashboard.getByTestId('depot-password').fill('tuotou-demo')
  await dashboard.getByTestId('depot-login-submit').click()
  await expect(dashboard.getByTestId('depot-live')).toHaveAttribute('data-state', 'live')
  await dashboard.evaluate(() => ((globalThis as unknown as { stayed: boolean }).stayed = true))

  // Twelve parcels: the first eleven orders of the demo route (one of them in two boxes).
  const plan: Door[] = [
    'digital',
    'prepaid',
    'cash',
    'not_home',
    'prepaid',
    'prepaid',
    'cash',
    'refused',
    'cash',
    'prepaid',
    'digital',
  ]
  const orders = route.slice(0, plan.length)
  expect(orders.reduce((parcels, order) => parcels + order.barcodes.length, 0)).toBe(12)

  for (const i of [0, 1, 2, 3, 4]) await deliver(courier, orders[i]!, plan[i]!, sandbox.url)
  const before = await terminalTotals(courier)
  await dashboardShows(dashboard, before)

  // Into a basement: no coverage for five doors. The terminal keeps working; the depot sees nothing new.
  link.setMode('offline')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'no', { timeout: 15_000 })
  for (const i of [5, 6, 7, 8, 9]) await deliver(courier, orders[i]!, plan[i]!, sandbox.url)
  await expect(courier.byId('sync-status')).not.toHaveAttribute('data-pending', '0')
  await dashboard.waitForTimeout(1_500)
  await expect(dashboard.locator('[data-testid="courier-row"][data-staff-id="SZ1001"]')).toHaveAttribute(
    'data-delivered',
    String(before.delivered),
  )
  await dashboard.getByTestId('tab-devices').click()
  await dashboard.screenshot({
    path: join(SHOTS, 'dashboard-offline-devices-zh-CN.png'),
    fullPage: true,
    animations: 'disabled',
  })
  await dashboard.getByTestId('tab-couriers').click()

  // Coverage returns: the queue drains, and the dashboard follows without a reload.
  link.setMode('online')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'yes', { timeout: 30_000 })
  await deliver(courier, orders[10]!, plan[10]!, sandbox.url)
  const after = await terminalTotals(courier)
  expect(after).toMatchObject({
    delivered: 9,
    failed: 2,
    digitalFen: orders[0]!.codFen + orders[10]!.codFen,
    cashFen: orders[2]!.codFen + orders[6]!.codFen + orders[8]!.codFen,
  })
  expect(after.cashToHandIn).toBe(formatFen(after.cashFen))
  await dashboardShows(dashboard, after)
  expect(await dashboard.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed)).toBe(true)

  // The backend's records say the same, each delivery and payment once.
  const records = new BackendRecords(sandbox.dbFile)
  const attempts = orders.flatMap((order) => records.attempts(order.waybill))
  expect(attempts).toHaveLength(plan.length)
  expect(attempts.filter((a) => a.outcome === 'delivered')).toHaveLength(after.delivered)
  expect(attempts.filter((a) => a.method === 'cash').reduce((sum, a) => sum + a.collected_fen, 0)).toBe(after.cashFen)
  const payments = orders.flatMap((order) => records.payments(order.waybill))
  expect(payments).toEqual([
    { amount_fen: orders[0]!.codFen, outcome: 'succeeded' },
    { amount_fen: orders[10]!.codFen, outcome: 'succeeded' },
  ])

  // Stops and failures add up the same way on the supervisor's screen.
  const row = dashboard.locator('[data-testid="courier-row"][data-staff-id="SZ1001"]')
  const stopsDone = new Set(orders.map((order) => order.stop)).size
  await expect(row).toHaveAttribute('data-stops-done', String(stopsDone))
  await expect(dashboard.getByTestId('kpi-cash')).toContainText(after.cashToHandIn)

  // The cash to reconcile is the terminal's "cash to hand in".
  await dashboard.getByTestId('tab-cash').click()
  await expect(dashboard.locator('[data-testid="cash-row"][data-staff-id="SZ1001"]')).toHaveAttribute(
    'data-expected-fen',
    String(after.cashFen),
  )
  await dashboard.getByTestId('tab-devices').click()
  await expect(dashboard.locator('[data-testid="device-row"]').filter({ hasText: /.+/ }).first()).toBeVisible()
  await dashboard.getByTestId('tab-couriers').click()
  await dashboard.screenshot({
    path: join(SHOTS, 'dashboard-after-round-zh-CN.png'),
    fullPage: true,
    animations: 'disabled',
  })
  await context.close()
})
