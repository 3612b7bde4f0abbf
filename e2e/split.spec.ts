import type { Page } from '@playwright/test'
import { openBackendDb } from '../backend/db/connect'
import { createCourierWithRoute, freshStaffId, spawnBackend } from '../backend/testing'
import { BackendRecords } from './support/backend-records'
import { startCoverageLink } from './support/coverage-link'
import { Courier } from './support/courier'
import { expect, test } from './support/fixtures'
import { startTerminal } from './support/processes'
import { payQr, setWallet } from './support/sandbox'
import { shot } from './support/screens'

/**
 * Split payment on the real terminal (issue 12 §6): part digital, the rest in cash. The customer's code is
 * refused over the wallet's per-payment limit, the terminal offers a split with the limit as the digital part,
 * the part is charged from the customer's code, and the cash rest is one tap; another order is split from the
 * order card and its part paid by the QR. The backend records each as two collections on one order. Without
 * coverage a split cannot get its part's intent: the terminal says so and offers the whole-amount QR or cash.
 */

const SIZES = [
  { width: 360, height: 640 },
  { width: 480, height: 854 },
  { width: 720, height: 1280 },
] as const

async function shotsAtEverySize(page: Page, name: string, locale: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size)
    await shot(page, name, locale, { targets: true })
  }
  await page.setViewportSize({ width: 480, height: 854 })
}

for (const locale of ['zh-CN', 'en'] as const) {
  test(`a split payment: part digital, the rest in cash (${locale})`, async ({ page }) => {
    test.setTimeout(180_000)
    const backend = await spawnBackend({ sandbox: true })
    const arranged = openBackendDb(backend.db)
    const staffId = freshStaffId()
    let fixture
    try {
      fixture = await createCourierWithRoute(arranged.db, {
        staffId,
        pin: '1234',
        stops: [250_000, 9_990, 3_300].map((codFen, i) => ({
          address: `相城区元和街道 ${i + 1} 号`,
          orders: [{ codFen, parcels: 1 }],
        })),
      })
    } finally {
      await arranged.close()
    }
    const link = await startCoverageLink(backend.url)
    const terminal = await startTerminal(link.url)
    try {
      await page.goto(terminal.url)
      const courier = new Courier(page)
      await courier.startShift(fixture.enrollmentCode, staffId, '1234')
      if (locale === 'en') {
        await courier.byId('tab-settings').click()
        await page.getByTestId('language-en').click()
        await courier.byId('tab-scan').click()
      }
      const [big, small, offline] = fixture.orders.map((order) => order.waybill) as [string, string, string]
      const status = courier.byId('split-status')

      // ¥2,500.00 over a tier-4 wallet's ¥2,000.00 per payment: refused, and a split is offered with the limit.
      await courier.scan(big)
      await expect(courier.byId('pay-split')).toBeEnabled()
      await courier.scan((await setWallet(backend.url, `w-split-${locale}`, { tier: 'tier4' })).paymentCode.code)
      await expect(courier.byId('charge-status')).toHaveAttribute('data-failure', 'limit_per_payment')
      await expect(courier.byId('charge-split')).toContainText('2,000.00')
      await courier.tap('charge-split')
      await expect(courier.byId('split-digital-input')).toHaveValue('2000.00')
      await expect(courier.byId('split-cash-part')).toHaveAttribute('data-cash-fen', '50000')
      await shotsAtEverySize(page, 'split-entry', locale)
      await courier.tap('split-confirm')
      await expect(status).toHaveAttribute('data-state', 'digital_pending')
      await expect(status).toHaveAttribute('data-digital-fen', '200000')
      await expect(courier.byId('payment-qr')).toHaveAttribute('data-payload-drawn', 'yes')
      await shotsAtEverySize(page, 'split-digital', locale)

      // The customer's code pays the part, within the limit now.
      const code = (await setWallet(backend.url, `w-split-${locale}`, { tier: 'tier4' })).paymentCode.code
      // A wedge scan of the wallet's code while the split is open charges the part.
      await courier.scan(code)
      await expect(status).toHaveAttribute('data-state', 'cash_pending', { timeout: 15_000 })
      await expect(status).toContainText(locale === 'en' ? 'Take ¥500.00 in cash' : '请收现金 ¥500.00')
      await shotsAtEverySize(page, 'split-cash', locale)
      await courier.tap('split-cash-exact')
      await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'split')
      await expect(courier.byId('delivery-done')).toContainText('¥2,000.00')
      await expect(courier.byId('delivery-done')).toContainText('¥500.00')

      // From the order card: ¥50.00 digital through the part's QR, ¥49.90 in cash.
      await courier.scan(small)
      await courier.tap('pay-split')
      await courier.type('split-digital-input', '50')
      await expect(courier.byId('split-cash-part')).toHaveAttribute('data-cash-fen', '4990')
      await courier.tap('split-confirm')
      await expect(status).toHaveAttribute('data-state', 'digital_pending')
      const qr = await courier.readPaymentQr()
      expect((await payQr(backend.url, qr)).amountFen).toBe(5000)
      await expect(status).toHaveAttribute('data-state', 'cash_pending', { timeout: 15_000 })
      await courier.tap('split-cash-exact')
      await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'split')

      // Two collections on each order at the backend, once the terminal synced.
      const records = new BackendRecords(backend.db)
      await expect
        .poll(() => [records.order(big)?.status, records.order(small)?.status], { timeout: 20_000 })
        .toEqual(['delivered', 'delivered'])
      expect(records.order(big)).toMatchObject({ delivered_method: 'split', collected_cash_fen: 50_000 })
      expect(records.order(small)).toMatchObject({ delivered_method: 'split', collected_cash_fen: 4990 })
      expect(records.payments(big).map((p) => p.amount_fen)).toEqual([200_000])
      expect(records.payments(small).map((p) => p.amount_fen)).toEqual([5000])

      // No coverage: a split needs the part's intent, so the terminal says so and offers the whole QR or cash.
      await courier.scan(offline)
      await courier.tap('pay-split')
      await courier.type('split-digital-input', '10')
      link.setMode('offline')
      await courier.tap('split-confirm')
      await expect(courier.byId('split-offline')).toBeVisible({ timeout: 20_000 })
      await expect(courier.byId('action-error')).toContainText(locale === 'en' ? 'needs coverage' : '需要网络')
      await expect(courier.byId('split-offline-qr')).toContainText('¥33.00')
      await shotsAtEverySize(page, 'split-offline', locale)
      await courier.tap('split-offline-cash')
      await expect(courier.byId('cash-panel')).toBeVisible()
      await courier.tap('cash-exact')
      await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'cash')
      link.setMode('online')
      await expect.poll(() => records.order(offline)?.delivered_method, { timeout: 30_000 }).toBe('cash')
      expect(records.payments(offline)).toEqual([])
    } finally {
      await terminal.stop()
      await link.close()
      await backend.stop()
    }
  })
}
