import { join } from 'node:path'
import { test as base, expect, type Page } from '@playwright/test'
import { ChargeResponse } from '../shared/api/charges'
import { BackendApi } from '../backend/testing/api'
import { startBackend, type Running } from './support/processes'
import { decodeCode128Png, decodeQrPng } from './support/qr'
import { setWallet, wallet } from './support/sandbox'
import { SHOTS } from './support/screens'

/**
 * The customer's side of a payment code (付款码) on the sandbox wallet page: the code as a Code 128 barcode and as
 * a QR that both read back as the digits shown, replaced when it is used or refreshed, and the PIN prompt while a
 * charge of it waits for the customer: typed on the page, the charge is paid.
 */

interface Courier {
  url: string
  shiftToken: string
  intents: { intentId: string; amountFen: number }[]
}

const test = base.extend<{ backend: Running & { url: string }; courier: Courier }>({
  // eslint-disable-next-line no-empty-pattern
  backend: async ({}, use) => {
    const backend = await startBackend(['--sandbox', '--seed', 'demo'])
    await use(backend)
    await backend.stop()
  },
  courier: async ({ backend }, use) => {
    const code = backend.output.map((line) => /^Enrollment code: (\w+)/.exec(line)?.[1]).find(Boolean)!
    const api = new BackendApi(backend.url)
    const device = await api.enroll(code)
    const shift = await api.login(device.deviceToken, 'SZ1001', '1234')
    const manifest = await api.manifest(shift.shiftToken, shift.shiftId)
    const intents = manifest.stops
      .flatMap((stop) => stop.orders)
      .flatMap((order) => (order.intent ? [{ intentId: order.intent.intentId, amountFen: order.codFen }] : []))
    await use({ url: backend.url, shiftToken: shift.shiftToken, intents })
  },
})

async function walletIdOf(page: Page): Promise<string> {
  return page.evaluate<string>(`localStorage.getItem('tuotou.sandbox.walletId') || ''`)
}

async function charge(courier: Courier, intentId: string, authCode: string): Promise<ChargeResponse> {
  const res = await fetch(`${courier.url}/api/v1/intents/${intentId}/charge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${courier.shiftToken}` },
    body: JSON.stringify({ authCode }),
  })
  expect(res.status).toBe(200)
  return ChargeResponse.parse(await res.json())
}

for (const locale of ['zh-CN', 'en'] as const) {
  test(`the wallet shows its payment code as a barcode and a QR, and asks for the PIN (${locale})`, async ({
    page,
    courier,
  }) => {
    await page.setViewportSize({ width: 480, height: 854 })
    await page.goto(`${courier.url}/sandbox/wallet/`)
    await page.getByTestId(locale === 'en' ? 'wallet-lang-en' : 'wallet-lang-zh').click()
    const digits = page.getByTestId('wallet-code-digits')
    await expect(digits).toHaveText(/^88\d{2}( \d{4}){3} \d{2}$/)
    const id = await walletIdOf(page)
    const shown = (await digits.innerText()).replace(/\s/g, '')
    expect((await wallet(courier.url, id)).paymentCode.code).toBe(shown)

    // Both symbols carry exactly the digits shown, for any merchant's scanner.
    await expect(page.getByTestId('wallet-code-barcode')).toHaveAttribute('data-code', shown)
    await expect(async () => {
      expect(await decodeCode128Png(await page.getByTestId('wallet-code-barcode').screenshot())).toEqual([shown])
    }).toPass({ timeout: 10_000 })
    expect(await decodeQrPng(await page.getByTestId('wallet-code-qr').screenshot())).toEqual([shown])
    const left = Number(await page.getByTestId('wallet-code-expiry').getAttribute('data-seconds'))
    expect(left).toBeGreaterThan(0)
    expect(left).toBeLessThanOrEqual(60)
    await page.screenshot({ path: join(SHOTS, `wallet-code-${locale}-480x854.png`), fullPage: true })

    // A fresh code on request: the old one can no longer be charged.
    await page.getByTestId('wallet-code-refresh').click()
    await expect(digits).not.toHaveText(shown.replace(/(\d{4})(?=\d)/g, '$1 '))
    const fresh = (await digits.innerText()).replace(/\s/g, '')
    const stale = await charge(courier, courier.intents[0]!.intentId, shown)
    expect(stale).toMatchObject({ status: 'failed', failure: 'code_expired' })

    // The wallet needs the PIN: the charge waits, the page asks, the customer types it, and it is paid.
    await setWallet(courier.url, id, { pin: '246810' })
    const target = courier.intents[1]!
    const waiting = await charge(courier, target.intentId, fresh)
    expect(waiting.status).toBe('user_paying')
    await expect(page.getByTestId('wallet-pin')).toBeVisible({ timeout: 5_000 })
    await page.getByTestId('wallet-pin-input').fill('246810')
    await page.screenshot({ path: join(SHOTS, `wallet-pin-${locale}-480x854.png`), fullPage: true })
    await page.getByTestId('wallet-pin').locator('button[type="submit"]').click()
    await expect(page.getByTestId('wallet-last-charge')).toHaveAttribute('data-status', 'paid', { timeout: 5_000 })
    // Used, the code is replaced at once.
    await expect(digits).not.toHaveText(fresh.replace(/(\d{4})(?=\d)/g, '$1 '))
    await expect
      .poll(async () => {
        const res = await fetch(`${courier.url}/api/v1/charges/${waiting.chargeNo}`, {
          headers: { authorization: `Bearer ${courier.shiftToken}` },
        })
        return ChargeResponse.parse(await res.json()).status
      })
      .toBe('paid')
  })
}
