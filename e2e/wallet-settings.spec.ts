import { join } from 'node:path'
import { test as base, expect, type Page } from '@playwright/test'
import { ChargeResponse } from '../shared/api/charges'
import { BackendApi } from '../backend/testing/api'
import { startBackend, type Running } from './support/processes'
import { wallet } from './support/sandbox'
import { SHOTS } from './support/screens'

/**
 * The person playing the customer sets the sandbox wallet up on its own page: tier, PIN, and what a payment comes
 * to. Each setting reaches the acquirer (its configuration API answers it back) and shows in the next charge.
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

const walletIdOf = (page: Page): Promise<string> =>
  page.evaluate<string>(`localStorage.getItem('tuotou.sandbox.walletId') || ''`)

async function charge(courier: Courier, intentId: string, authCode: string): Promise<ChargeResponse> {
  const res = await fetch(`${courier.url}/api/v1/intents/${intentId}/charge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${courier.shiftToken}` },
    body: JSON.stringify({ authCode }),
  })
  expect(res.status).toBe(200)
  return ChargeResponse.parse(await res.json())
}

/** The wallet's current code as the page shows it. */
async function shownCode(page: Page): Promise<string> {
  return (await page.getByTestId('wallet-code-digits').innerText()).replace(/\s/g, '')
}

async function save(page: Page): Promise<void> {
  await page.getByTestId('wallet-settings-save').click()
  await expect(page.getByTestId('wallet-settings-saved')).toBeVisible()
}

for (const locale of ['zh-CN', 'en'] as const) {
  test(`the wallet page sets the tier, the PIN and the outcome, and the next charge follows them (${locale})`, async ({
    page,
    courier,
  }) => {
    test.setTimeout(150_000)
    await page.setViewportSize({ width: 360, height: 640 })
    await page.goto(`${courier.url}/sandbox/wallet/`)
    await page.getByTestId(locale === 'en' ? 'wallet-lang-en' : 'wallet-lang-zh').click()
    await expect(page.getByTestId('wallet-code-digits')).toHaveText(/^88/)
    const id = await walletIdOf(page)
    const settings = page.getByTestId('wallet-settings')
    await expect(page.getByTestId('wallet-tier-tier2')).toHaveAttribute('aria-pressed', 'true')

    // Tier 4 with a PIN: the acquirer holds both, and a charge waits for the PIN.
    await page.getByTestId('wallet-tier-tier4').click()
    await page.getByTestId('wallet-pin-on').click()
    await page.getByTestId('wallet-settings-pin').fill('135790')
    await settings.scrollIntoViewIfNeeded()
    for (const size of [
      { width: 360, height: 640 },
      { width: 720, height: 1280 },
    ]) {
      await page.setViewportSize(size)
      await page.screenshot({
        path: join(SHOTS, `wallet-settings-${locale}-${size.width}x${size.height}.png`),
        fullPage: true,
      })
    }
    await page.setViewportSize({ width: 360, height: 640 })
    await save(page)
    expect((await wallet(courier.url, id)).settings).toMatchObject({ tier: 'tier4', pin: '135790', fail: null })
    await expect(page.getByTestId('wallet-limits')).toContainText('¥2,000.00')
    const waiting = await charge(courier, courier.intents[0]!.intentId, await shownCode(page))
    expect(waiting.status).toBe('user_paying')
    await expect(page.getByTestId('wallet-pin')).toBeVisible({ timeout: 5_000 })
    await page.getByTestId('wallet-pin-decline').click()

    // No PIN, and the balance too low: the charge fails so.
    await page.getByTestId('wallet-pin-off').click()
    await page.getByTestId('wallet-outcome-insufficient_balance').click()
    await save(page)
    expect((await wallet(courier.url, id)).settings).toMatchObject({ pin: null, fail: 'insufficient_balance' })
    await expect(async () => {
      const failed = await charge(courier, courier.intents[1]!.intentId, await shownCode(page))
      expect(failed).toMatchObject({ status: 'failed', failure: 'insufficient_balance' })
    }).toPass({ timeout: 5_000 })

    // The customer slow to confirm: "user paying" for 3 s, then paid.
    await page.getByTestId('wallet-outcome-paying').click()
    await page.getByTestId('wallet-paying-seconds').fill('3')
    await save(page)
    expect((await wallet(courier.url, id)).settings).toMatchObject({ payingMs: 3000, fail: null, tier: 'tier4' })
    await expect(async () => {
      const slow = await charge(courier, courier.intents[2]!.intentId, await shownCode(page))
      expect(slow.status).toBe('user_paying')
    }).toPass({ timeout: 5_000 })
    await expect(page.getByTestId('wallet-last-charge')).toHaveAttribute('data-status', 'paid', { timeout: 10_000 })

    // A bad PIN cannot be saved.
    await page.getByTestId('wallet-pin-on').click()
    await page.getByTestId('wallet-settings-pin').fill('12')
    await expect(page.getByTestId('wallet-settings-save')).toBeDisabled()
  })
}
