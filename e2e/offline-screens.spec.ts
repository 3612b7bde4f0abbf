import { base64UrlDecode, base64UrlEncode } from '../shared/receipt'
import { BackendRecords } from './support/backend-records'
import type { Courier } from './support/courier'
import { reassignOrder } from './support/depot'
import type { DemoOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { payQr } from './support/sandbox'
import { shot } from './support/screens'

/**
 * The offline screens in both languages at 480×854, saved to `e2e/.artifacts/screens/` to be looked at: the
 * payment screen without coverage (receipt, "to be verified" with both limits), each receipt refusal, the
 * "to be verified" confirmation and its refusal over the limit, the sync sheet with a backlog, and the
 * needs-attention list with a refused delivery, a flag and settled unverified payments. Each shot also checks
 * that every control is glove-size and nothing is left untranslated.
 */

function withAmount(token: string, amountFen: number): string {
  const [prefix, claims, signature] = token.split('.')
  const decoded = JSON.parse(new TextDecoder().decode(base64UrlDecode(claims!))) as Record<string, unknown>
  decoded.a = amountFen
  return `${prefix}.${base64UrlEncode(new TextEncoder().encode(JSON.stringify(decoded)))}.${signature}`
}

async function qrUp(courier: Courier, order: DemoOrder): Promise<void> {
  for (const barcode of order.barcodes) await courier.scan(barcode)
  await courier.tap('pay-digital')
  await expect(courier.byId('payment-status')).toHaveAttribute('data-state', /waiting|slow/)
}

for (const locale of ['zh-CN', 'en'] as const) {
  test(`the offline screens in ${locale}`, async ({ page, courier, route, sandbox, link }) => {
    test.setTimeout(150_000)
    if (locale === 'en') {
      await courier.byId('tab-settings').click()
      await page.getByTestId('language-en').click()
      await courier.byId('tab-scan').click()
    }
    const cod = route.filter((o) => o.codFen > 0 && o.codFen <= 50_000 && o.barcodes.length === 1)
    const [paidEarlier, receiptOrder, unpaid, moved, verified] = cod
    const big = route.find((o) => o.codFen > 50_000)!
    const records = new BackendRecords(sandbox.dbFile)

    // A genuine receipt for another order, from earlier on the route.
    await qrUp(courier, paidEarlier!)
    const earlier = await payQr(sandbox.url, await courier.readPaymentQr())
    await expect(courier.byId('delivery-done')).toBeVisible()

    link.setMode('offline')
    await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'no', { timeout: 15_000 })
    await reassignOrder(sandbox.url, records.orderId(moved!.waybill))

    await qrUp(courier, receiptOrder!)
    await expect(courier.byId('unverified-limits')).toBeVisible()
    await shot(page, 'offline-payment', locale, { targets: true })
    await shot(page, 'offline-payment', locale, { fullPage: true })
    const paid = await payQr(sandbox.url, await courier.readPaymentQr())

    await courier.tap('receipt-type')
    await courier.type('receipt-input', 'TTR1.garbled')
    await shot(page, 'offline-receipt-typing', locale, { targets: true })
    await courier.tap('receipt-submit')
    await expect(courier.byId('scan-refusal')).toHaveAttribute('data-reason', 'receipt_malformed')
    await shot(page, 'receipt-malformed', locale, { targets: true })
    await courier.scan(withAmount(paid.receiptToken, 100))
    await expect(courier.byId('scan-refusal')).toHaveAttribute('data-reason', 'receipt_bad_signature')
    await shot(page, 'receipt-bad-signature', locale, { targets: true })
    await courier.scan(earlier.receiptToken)
    await expect(courier.byId('scan-refusal')).toHaveAttribute('data-reason', 'receipt_other_intent')
    await shot(page, 'receipt-other-intent', locale, { targets: true })
    await courier.scan(paid.receiptToken)
    await expect(courier.byId('payment-status')).toHaveAttribute('data-confirmation', 'receipt')
    await shot(page, 'receipt-paid', locale)
    await expect(courier.byId('delivery-done')).toHaveAttribute('data-confirmation', 'receipt')
    await shot(page, 'receipt-done', locale)
    await courier.scan(paid.receiptToken)
    await expect(courier.byId('receipt-known')).toBeVisible()
    await shot(page, 'receipt-known', locale)

    // Over the per-order limit: "to be verified" is refused, and says why.
    await qrUp(courier, big)
    await expect(courier.byId('unverified-blocked')).toBeVisible()
    await shot(page, 'unverified-over-limit', locale, { targets: true, fullPage: true })
    await courier.tap('payment-back')

    // The customer did not pay, but says so: the courier records it "to be verified", to be settled.
    await qrUp(courier, unpaid!)
    await courier.tap('pay-unverified')
    await expect(courier.byId('unverified-confirm')).toBeVisible()
    await shot(page, 'unverified-confirm', locale, { targets: true, fullPage: true })
    await courier.tap('unverified-confirm-yes')
    await expect(courier.byId('delivery-done')).toHaveAttribute('data-confirmation', 'unverified')
    await shot(page, 'unverified-done', locale)

    // This customer did pay, and their phone died: also "to be verified"; the acquirer will confirm it.
    await qrUp(courier, verified!)
    await payQr(sandbox.url, await courier.readPaymentQr())
    await courier.tap('pay-unverified')
    await courier.tap('unverified-confirm-yes')
    await expect(courier.byId('delivery-done')).toHaveAttribute('data-confirmation', 'unverified')

    // The order the depot moved, delivered with cash before the device could hear of it.
    await courier.scan(moved!.barcodes[0]!)
    await courier.tap('pay-cash')
    await courier.tap('cash-confirm')
    await expect(courier.byId('delivery-done')).toContainText(moved!.waybill)

    await courier.byId('sync-chip').click()
    await expect(courier.byId('sync-details')).toBeVisible()
    await expect(courier.byId('sync-oldest')).not.toHaveText('—')
    await shot(page, 'sync-offline', locale, { targets: true })
    await courier.byId('sync-close').click()

    link.setMode('online')
    await expect(courier.byId('payment-flag')).toHaveAttribute('data-kind', 'unverified_not_found', {
      timeout: 20_000,
    })
    await shot(page, 'flag-unverified-not-found', locale, { targets: true })
    await courier.tap('flag-dismiss')
    await expect(courier.byId('sync-status')).toHaveAttribute('data-pending', '0', { timeout: 20_000 })
    await courier.byId('sync-chip').click()
    await expect(courier.byId('attention-unverified').nth(1)).toHaveAttribute('data-settlement', 'verified', {
      timeout: 15_000,
    })
    await expect(courier.byId('attention-rejected').first()).toBeVisible()
    await shot(page, 'sync-attention', locale, { targets: true })
    await courier.byId('attention-list').scrollIntoViewIfNeeded()
    await courier.byId('sync-close').scrollIntoViewIfNeeded()
    await shot(page, 'sync-attention-list', locale)
    await courier.byId('sync-close').click()

    await courier.byId('tab-shift').click()
    await expect(courier.byId('shift-unverified')).toBeVisible()
    await shot(page, 'shift-attention', locale, { targets: true })
  })
}
