import type { Locator, Page } from '@playwright/test'
import { formatFen } from '../shared/money'
import { BackendRecords } from './support/backend-records'
import { pickOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { MIN_TOUCH_PX, shotBoth, switchLocale } from './support/screens'

/**
 * Issue 13, points 2 and 3: every doorstep screen fits a 360×640 handheld with nothing scrolled, and cash is
 * counted the way couriers count it. Each through the real renderer, browser host and backend, with screenshots
 * in both languages at every handheld size.
 */

// Page code runs as strings: these sources are type-checked without the DOM. Each test shoots several moments in two languages at three sizes.
test.describe.configure({ timeout: 180_000 })

/** Wholly inside the viewport, and not cut off by a scrolling or clipping ancestor. */
async function expectInView(page: Page, testId: string, what: string): Promise<void> {
  const locator = page.getByTestId(testId)
  const box = await locator.boundingBox()
  expect(box, `${what}: on screen`).not.toBeNull()
  const view = page.viewportSize()!
  // The tab bar is fixed over the bottom of the screen: what sits under it is not seen either.
  const tabbar = await page.getByTestId('tabbar').boundingBox()
  const bottom = Math.min(view.height, tabbar?.y ?? view.height)
  expect(box!.x, `${what}: left edge`).toBeGreaterThanOrEqual(0)
  expect(box!.y, `${what}: top edge`).toBeGreaterThanOrEqual(0)
  expect(box!.x + box!.width, `${what}: right edge within ${view.width}`).toBeLessThanOrEqual(view.width + 0.5)
  expect(box!.y + box!.height, `${what}: bottom edge above ${bottom}`).toBeLessThanOrEqual(bottom + 0.5)
  // Text wider than its own box (¥1,299.00 running past the card's edge) is cut off even when the box fits.
  // In the page, as a string: these sources are type-checked without the DOM.
  const found = `document.querySelector(${JSON.stringify(`[data-testid="${testId}"]`)})`
  const overflow = Number(
    await page.evaluate(`(() => {
      const element = ${found}
      const outer = element.getBoundingClientRect()
      const range = document.createRange()
      range.selectNodeContents(element)
      const inner = range.getBoundingClientRect()
      if (inner.width === 0) return 0
      return Math.max(outer.left - inner.left, inner.right - outer.right)
    })()`),
  )
  expect(overflow, `${what}: its text stays inside its box`).toBeLessThanOrEqual(1)
  // Nothing pinned or layered over it (the sticky way-out row, a sheet): its middle is itself.
  const uncovered = await page.evaluate(`(() => {
    const element = ${found}
    const r = element.getBoundingClientRect()
    const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)
    return hit !== null && (element.contains(hit) || hit.contains(element))
  })()`)
  expect(uncovered, `${what}: not covered`).toBe(true)
  expect(await page.evaluate<number>('window.scrollY'), `${what}: nothing scrolled`).toBe(0)
}

/** In the lower half of the screen, where a thumb reaches. */
async function expectInReach(page: Page, locator: Locator, what: string): Promise<void> {
  const box = (await locator.boundingBox())!
  expect(box.y + box.height / 2, `${what}: in the bottom half`).toBeGreaterThan(page.viewportSize()!.height / 2)
}

test('at 360×640 the order card, the QR screen and the slow-payment panels fit without scrolling', async ({
  courier,
  route,
  fieldTerminal,
  page,
}) => {
  const big = pickOrder(route, 'a ¥1,299.00 order', (o) => o.codFen === 129900 && o.barcodes.length === 1)
  await page.setViewportSize({ width: 360, height: 640 })
  await courier.scan(big.barcodes[0]!)
  await expect(courier.byId('order-amount')).toContainText(formatFen(129900))
  for (const locale of ['zh-CN', 'en'] as const) {
    await switchLocale(fieldTerminal.url, locale)
    await expect(page.locator('html')).toHaveAttribute('lang', locale)
    for (const id of ['order-amount', 'order-address', 'pay-digital', 'pay-cash', 'pay-failed']) {
      await expectInView(page, id, `${locale} ${id}`)
    }
    await expectInReach(page, courier.byId('pay-digital'), `${locale} pay-digital`)
  }
  await switchLocale(fieldTerminal.url, 'zh-CN')
  await shotBoth(page, fieldTerminal.url, 'fit-order-card', { targets: true })

  await courier.tap('pay-digital')
  await expect(courier.byId('payment-qr')).toHaveAttribute('data-payload-drawn', 'yes')
  await expect(courier.byId('payment-merchant')).not.toBeEmpty()
  // A countdown, not a clock time: "11 小时 59 分" / "11 h 59 min" for a long-lived QR, "11:52" under an hour.
  await expect(courier.byId('payment-expiry')).toHaveText(/^\s*(?:\d+ 小时 \d+ 分|\d+:\d{2})\s*$/)
  await expect(courier.byId('payment-elapsed')).toHaveText(/0:0\d/)
  for (const locale of ['zh-CN', 'en'] as const) {
    await switchLocale(fieldTerminal.url, locale)
    await expect(page.locator('html')).toHaveAttribute('lang', locale)
    for (const id of ['payment-amount', 'payment-qr', 'pay-cash', 'payment-back']) {
      await expectInView(page, id, `${locale} ${id}`)
    }
  }
  await switchLocale(fieldTerminal.url, 'zh-CN')
  // At 720×1280 the QR uses the space: larger than at 360×640, and the amount in larger type.
  const small = (await courier.byId('payment-qr').locator('canvas').boundingBox())!
  const smallType = await page
    .evaluate(`parseFloat(getComputedStyle(document.querySelector('[data-testid="payment-amount"]')).fontSize)`)
    .then(Number)
  await page.setViewportSize({ width: 720, height: 1280 })
  const large = (await courier.byId('payment-qr').locator('canvas').boundingBox())!
  const largeType = await page
    .evaluate(`parseFloat(getComputedStyle(document.querySelector('[data-testid="payment-amount"]')).fontSize)`)
    .then(Number)
  expect(large.width).toBeGreaterThan(small.width * 1.5)
  expect(largeType).toBeGreaterThan(smallType * 1.3)
  await page.setViewportSize({ width: 360, height: 640 })
  await shotBoth(page, fieldTerminal.url, 'fit-qr', { targets: true })

  // A slow payment: the receipt and "paid, to be verified" panels open, and the way out stays on screen.
  await expect(courier.byId('payment-status')).toHaveAttribute('data-state', 'slow', { timeout: 15_000 })
  await expect(courier.byId('receipt-panel')).toBeVisible()
  await expect(courier.byId('unverified-panel')).toBeVisible()
  await expect(courier.byId('payment-elapsed')).toHaveText(/0:1\d/)
  for (const locale of ['zh-CN', 'en'] as const) {
    await switchLocale(fieldTerminal.url, locale)
    await expect(page.locator('html')).toHaveAttribute('lang', locale)
    for (const id of ['payment-amount', 'pay-cash', 'payment-back', 'payment-elapsed']) {
      await expectInView(page, id, `${locale} slow ${id}`)
    }
  }
  await switchLocale(fieldTerminal.url, 'zh-CN')
  await shotBoth(page, fieldTerminal.url, 'fit-qr-slow', { targets: true })
})

test('cash: glove-size keys, one tap for the exact amount, a short amount in six actions, change due', async ({
  courier,
  route,
  sandbox,
  fieldTerminal,
  page,
}) => {
  await page.setViewportSize({ width: 360, height: 640 })
  // ¥190.00 taken for ¥199.00, from the scan: scan, cash, 1, 9, 0, record.
  const short = pickOrder(route, 'a ¥199.00 order', (o) => o.codFen === 19900 && o.barcodes.length === 1)
  await courier.scan(short.barcodes[0]!)
  await courier.tap('pay-cash')
  await expect(courier.byId('cash-panel')).toBeVisible()
  // No QR was shown for this order: there is no digital payment to say was cancelled.
  await expect(courier.byId('cash-notice')).toHaveCount(0)
  for (const id of ['cash-key-1', 'cash-key-0', 'cash-key-clear', 'cash-exact', 'cash-confirm', 'cash-back']) {
    const box = (await courier.byId(id).boundingBox())!
    expect(box.height, `${id} height`).toBeGreaterThanOrEqual(MIN_TOUCH_PX)
    expect(box.width, `${id} width`).toBeGreaterThanOrEqual(MIN_TOUCH_PX)
    await expectInView(page, id, id)
  }
  await shotBoth(page, fieldTerminal.url, 'cash-keypad', { targets: true })
  await courier.keyCash(19000)
  await expect(courier.byId('cash-amount')).toHaveValue('190')
  await expect(courier.byId('cash-difference')).toHaveAttribute('data-short-fen', '900')
  await expect(courier.byId('cash-confirm')).toContainText(formatFen(900))
  await shotBoth(page, fieldTerminal.url, 'cash-short-keyed', { targets: true })
  await courier.tap('cash-confirm')
  await expect(courier.byId('delivery-done')).toContainText(formatFen(19000))
  expect(courier.actions).toEqual([
    `scan ${short.barcodes[0]}`,
    'tap pay-cash',
    'tap cash-key-1',
    'tap cash-key-9',
    'tap cash-key-0',
    'tap cash-confirm',
  ])
  const records = new BackendRecords(sandbox.dbFile)
  await expect
    .poll(() => records.attempts(short.waybill), { timeout: 10_000 })
    .toEqual([{ outcome: 'delivered', method: 'cash', collected_fen: 19000, failure_reason: null }])

  // "Will pay with ¥500": the change due shows, and the amount due is what is recorded.
  const tendered = pickOrder(route, 'a ¥399.00 order', (o) => o.codFen === 39900 && o.barcodes.length === 1)
  await courier.scan(tendered.barcodes[0]!)
  await courier.tap('pay-digital')
  await expect(courier.byId('payment-qr')).toHaveAttribute('data-payload-drawn', 'yes')
  await courier.tap('pay-cash')
  // A QR was on screen: now the panel says the digital payment is cancelled.
  await expect(courier.byId('cash-notice')).toBeVisible()
  await courier.keyCash(50000)
  await expect(courier.byId('cash-change-due')).toHaveAttribute('data-change-fen', String(50000 - 39900))
  // With the notice above, the keypad and both buttons still fit the 360×640 screen.
  for (const id of ['cash-notice', 'cash-key-7', 'cash-exact', 'cash-confirm', 'cash-back']) {
    await expectInView(page, id, `with the notice, ${id}`)
  }
  await expect(courier.byId('cash-change-due')).toContainText(formatFen(50000 - 39900))
  await shotBoth(page, fieldTerminal.url, 'cash-change-due', { targets: true })
  // The clear key empties the field; nothing can be recorded until an amount is keyed.
  await courier.tap('cash-key-clear')
  await expect(courier.byId('cash-amount')).toHaveValue('')
  await expect(courier.byId('cash-confirm')).toBeDisabled()
  await courier.keyCash(50000)
  await courier.tap('cash-confirm')
  await expect(courier.byId('delivery-done')).toContainText(formatFen(39900))
  await expect
    .poll(() => records.attempts(tendered.waybill), { timeout: 10_000 })
    .toEqual([{ outcome: 'delivered', method: 'cash', collected_fen: 39900, failure_reason: null }])

  // The exact amount is one tap.
  const exact = pickOrder(route, 'a ¥66.60 order', (o) => o.codFen === 6660 && o.barcodes.length === 1)
  await courier.scan(exact.barcodes[0]!)
  await courier.tap('pay-cash')
  const before = courier.deliberateActions
  await courier.tap('cash-exact')
  await expect(courier.byId('delivery-done')).toContainText(formatFen(6660))
  expect(courier.deliberateActions - before).toBe(1)
})

test('the shift-end cash count is blind, and a difference needs a confirmation', async ({
  courier,
  route,
  sandbox,
  fieldTerminal,
  page,
}) => {
  const order = pickOrder(route, 'a ¥66.60 order', (o) => o.codFen === 6660 && o.barcodes.length === 1)
  await courier.scan(order.barcodes[0]!)
  await courier.tap('pay-cash')
  await courier.tap('cash-exact')
  await expect(courier.byId('delivery-done')).toContainText(formatFen(6660))
  await courier.byId('tab-shift').click()
  await expect(courier.byId('cash-declare-amount')).toHaveValue('')
  await expect(courier.byId('declare-mismatch')).toHaveCount(0)
  await shotBoth(page, fieldTerminal.url, 'declare-blind', { targets: true, fullPage: true })

  // ¥60.00 counted for ¥66.60 collected: the difference shows after entry, and declaring it takes a second tap.
  await courier.type('cash-declare-amount', '60.00')
  await courier.tap('cash-declare-submit')
  await expect(courier.byId('declare-mismatch')).toHaveAttribute('data-difference-fen', '-660')
  await expect(courier.byId('declare-mismatch')).toContainText(formatFen(660))
  await shotBoth(page, fieldTerminal.url, 'declare-difference', { targets: true, fullPage: true })
  const records = new BackendRecords(sandbox.dbFile)
  await page.waitForTimeout(500)
  expect(records.cashDeclarations()).toEqual([])
  await courier.tap('declare-mismatch-confirm')
  await expect(courier.byId('shift-declared')).toContainText(formatFen(6000))
  await expect.poll(() => records.cashDeclarations(), { timeout: 10_000 }).toEqual([6000])
})
