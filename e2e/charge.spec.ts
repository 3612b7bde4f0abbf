import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { openBackendDb } from '../backend/db/connect'
import { createCourierWithRoute, freshStaffId, spawnBackend, type SpawnedBackend } from '../backend/testing'
import { BackendRecords } from './support/backend-records'
import { startCoverageLink, type CoverageLink } from './support/coverage-link'
import { Courier } from './support/courier'
import { expect, test } from './support/fixtures'
import { startTerminal, type Running } from './support/processes'
import { setBehaviour, setWallet, typeWalletPin } from './support/sandbox'
import { shot, SHOTS } from './support/screens'

/**
 * The courier scans the customer's payment code (付款码) on the real sandbox: the wallet's code read by a keyboard
 * wedge while the order card is open, charged through the backend, and each outcome said in words on the
 * terminal, in both languages, with screenshots at the three handheld sizes: paid at once, waiting for the
 * customer's PIN and then paid, refused over the wallet's per-payment limit, never confirmed (revoked), the
 * acquirer not answering, and no coverage (the QR, a receipt or cash are offered).
 */

const SIZES = [
  { width: 360, height: 640 },
  { width: 480, height: 854 },
  { width: 720, height: 1280 },
] as const

const ORDERS = [
  { name: 'instant-360', codFen: 6660 },
  { name: 'instant-480', codFen: 7770 },
  { name: 'instant-720', codFen: 8880 },
  { name: 'pin', codFen: 12_800 },
  { name: 'limit', codFen: 250_000 },
  { name: 'revoked', codFen: 4500 },
  { name: 'unknown', codFen: 5900 },
  { name: 'offline', codFen: 3300 },
] as const
type OrderName = (typeof ORDERS)[number]['name']

interface Round {
  backend: SpawnedBackend
  link: CoverageLink
  terminal: Running & { url: string; dir: string }
  courier: Courier
  waybill: Record<OrderName, string>
  records: BackendRecords
}

async function startRound(page: Page): Promise<Round> {
  // Revoked after 10 s instead of 60, so the round sees the end of a charge nobody confirms.
  const backend = await spawnBackend({ sandbox: true, env: { TUOTOU_CHARGE_QUERY_FOR_MS: '10000' } })
  const arranged = openBackendDb(backend.db)
  const staffId = freshStaffId()
  let fixture
  try {
    fixture = await createCourierWithRoute(arranged.db, {
      staffId,
      pin: '1234',
      stops: ORDERS.map((order, i) => ({
        address: `相城区元和街道 ${i + 1} 号`,
        orders: [{ codFen: order.codFen, parcels: 1 }],
      })),
    })
  } finally {
    await arranged.close()
  }
  const link = await startCoverageLink(backend.url)
  const terminal = await startTerminal(link.url)
  await page.goto(terminal.url)
  const courier = new Courier(page)
  await courier.startShift(fixture.enrollmentCode, staffId, '1234')
  const waybill = Object.fromEntries(ORDERS.map((order, i) => [order.name, fixture.orders[i]!.waybill])) as Record<
    OrderName,
    string
  >
  return { backend, link, terminal, courier, waybill, records: new BackendRecords(backend.db) }
}

async function stopRound(round: Round): Promise<void> {
  await round.terminal.stop()
  await round.link.close()
  await round.backend.stop()
}

/** Screenshots of what is on screen now at the three sizes, each checked for glove-size controls and leaks. */
async function shotsAtEverySize(page: Page, name: string, locale: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size)
    await shot(page, name, locale, { targets: true })
  }
  await page.setViewportSize({ width: 480, height: 854 })
}

for (const locale of ['zh-CN', 'en'] as const) {
  test(`the customer's payment code, each outcome in words (${locale})`, async ({ page }) => {
    test.setTimeout(240_000)
    const round = await startRound(page)
    const { courier, waybill, backend } = round
    try {
      if (locale === 'en') {
        await courier.byId('tab-settings').click()
        await page.getByTestId('language-en').click()
        await courier.byId('tab-scan').click()
      }
      const status = courier.byId('charge-status')

      // The order card offers the customer's code next to the QR.
      await courier.scan(waybill['instant-360'])
      await expect(courier.byId('charge-scan')).toBeEnabled()
      await shotsAtEverySize(page, 'charge-order-card', locale)

      // Paid at once, at each size: a wedge scan of the wallet's code while the card is open.
      for (const [i, size] of SIZES.entries()) {
        const name = (['instant-360', 'instant-480', 'instant-720'] as const)[i]!
        await page.setViewportSize(size)
        if (i > 0) await courier.scan(waybill[name])
        await expect(courier.byId('order-card')).toContainText(waybill[name])
        const code = (await setWallet(backend.url, `w-instant-${i}`)).paymentCode.code
        expect(code).toMatch(/^88\d{16}$/)
        await courier.scan(code)
        // "Paid" stays up for 600 ms before the terminal returns to scan: caught as it is painted.
        await page.waitForSelector('[data-testid="charge-status"][data-state="paid"]', { timeout: 10_000 })
        await page.screenshot({ path: join(SHOTS, `charge-paid-${locale}-${size.width}x${size.height}.png`) })
        await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'digital')
        await expect.poll(() => round.records.order(waybill[name]).status, { timeout: 15_000 }).toBe('delivered')
      }
      await page.setViewportSize({ width: 480, height: 854 })

      // The wallet asks for the customer's PIN: the terminal says so until they type it.
      await courier.scan(waybill.pin)
      const pinCode = (await setWallet(backend.url, 'w-pin', { pin: '135790' })).paymentCode.code
      await courier.scan(pinCode)
      await expect(status).toHaveAttribute('data-state', 'user_paying')
      await expect(courier.byId('charge-deadline')).toBeVisible()
      await shotsAtEverySize(page, 'charge-user-paying', locale)
      await typeWalletPin(backend.url, 'w-pin', '135790')
      await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'digital', { timeout: 10_000 })

      // Over the wallet's per-payment limit (tier 4: ¥2,000): refused, in the customer's terms.
      await courier.scan(waybill.limit)
      const limitCode = (await setWallet(backend.url, 'w-tier4', { tier: 'tier4' })).paymentCode.code
      await courier.scan(limitCode)
      await expect(status).toHaveAttribute('data-state', 'failed')
      await expect(status).toHaveAttribute('data-failure', 'limit_per_payment')
      await expect(status).toHaveAttribute('data-limit-fen', '200000')
      await expect(status).toContainText(locale === 'en' ? 'at most ¥2,000.00 per payment' : '单笔最多支付 ¥2,000.00')
      await shotsAtEverySize(page, 'charge-limit', locale)
      // The courier takes cash instead: the order closes as cash, nothing digital was taken.
      await courier.tap('charge-cash')
      await expect(courier.byId('cash-panel')).toBeVisible()
      await courier.tap('cash-exact')
      await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'cash')

      // The customer never confirms: the backend queries, then revokes at its deadline; nothing was taken.
      await courier.scan(waybill.revoked)
      const slowCode = (await setWallet(backend.url, 'w-slow', { payingMs: 120_000 })).paymentCode.code
      await courier.scan(slowCode)
      await expect(status).toHaveAttribute('data-state', 'user_paying')
      await expect(status).toHaveAttribute('data-state', 'revoked', { timeout: 30_000 })
      await shotsAtEverySize(page, 'charge-revoked', locale)
      await courier.tap('charge-back')
      await expect(courier.byId('order-card')).toContainText(waybill.revoked)
      await courier.tap('pay-failed')
      await courier.tap('fail-refused')
      await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'failed')

      // The acquirer does not answer: the terminal says the outcome is being asked for, and the charge never
      // stays unknown: once the acquirer is back, it is revoked (it never arrived there).
      await courier.scan(waybill.unknown)
      const outageCode = (await setWallet(backend.url, 'w-outage')).paymentCode.code
      await setBehaviour(backend.url, { outage: true })
      await courier.scan(outageCode)
      await expect(status).toHaveAttribute('data-state', 'unknown')
      await shotsAtEverySize(page, 'charge-unknown', locale)
      await setBehaviour(backend.url, { outage: false })
      await expect(status).toHaveAttribute('data-state', /revoked|failed/, { timeout: 40_000 })
      await courier.tap('charge-show-qr')
      await expect(courier.byId('payment-status')).toHaveAttribute('data-state', /waiting|slow/)
      await courier.tap('payment-back')

      // No coverage: nothing is charged, and the QR, a receipt or cash are offered.
      await courier.scan(waybill.offline)
      round.link.setMode('offline')
      await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'no', { timeout: 15_000 })
      const offlineCode = (await setWallet(backend.url, 'w-offline')).paymentCode.code
      await courier.scan(offlineCode)
      await expect(status).toHaveAttribute('data-state', 'offline', { timeout: 20_000 })
      await expect(courier.byId('charge-show-qr')).toBeVisible()
      await expect(courier.byId('charge-receipt')).toBeVisible()
      await expect(courier.byId('charge-cash')).toBeVisible()
      await shotsAtEverySize(page, 'charge-offline', locale)
      await courier.tap('charge-show-qr')
      await expect(courier.byId('payment-status')).toHaveAttribute('data-state', /waiting|slow/)
      round.link.setMode('online')

      // Each code was charged once at the backend, and only the paid ones took money.
      const charges = round.records.charges()
      expect(charges.map((c) => c.status).sort()).toEqual(
        ['failed', 'paid', 'paid', 'paid', 'paid', 'revoked', 'revoked'].sort(),
      )
    } finally {
      await stopRound(round)
    }
  })
}

test('a payment code is never taken for a parcel: with no order in hand it is refused and nothing is charged', async ({
  courier,
  sandbox,
  route,
}) => {
  const code = (await setWallet(sandbox.url, 'w-stray')).paymentCode.code
  await courier.scan(code)
  await expect(courier.byId('scan-refusal')).toHaveAttribute('data-reason', 'payment_code_no_order')
  const records = new BackendRecords(sandbox.dbFile)
  // The refusal is logged with the code masked: a code is money until it is used.
  await expect
    .poll(() => records.refusedScans().map((r) => r.code), { timeout: 10_000 })
    .toContain(`${code.slice(0, 2)}${'*'.repeat(code.length - 6)}${code.slice(-4)}`)
  expect(records.charges()).toEqual([])
  // A prepaid order's card: nothing to charge, refused the same way.
  const prepaid = route.find((o) => o.codFen === 0 && o.barcodes.length === 1)!
  await courier.scan(prepaid.barcodes[0]!)
  await courier.scan(code)
  await expect(courier.byId('scan-refusal')).toHaveAttribute('data-reason', 'payment_code_no_order')
  expect(records.charges()).toEqual([])
})
