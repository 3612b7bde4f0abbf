import { join } from 'node:path'
import { test as base, expect } from '@playwright/test'
import { ClosureResponse, RefundsResponse } from '../shared/api/closure'
import { SupervisorLoginResponse } from '../shared/api/depot'
import { CreateEnrollmentCodeResponse } from '../shared/api/device'
import { BackendApi, EventWriter } from '../backend/testing/api'
import { startBackend, type Running } from './support/processes'
import { SHOTS } from './support/screens'

const SUPERVISOR = { login: 'zhang.wei', password: 'tuotou-demo' }

interface Depot {
  backend: Running & { url: string; dir: string }
  api: BackendApi
  supervisorToken: string
}

/** The demo backend (a real process, the sandbox acquirer with a slow refund) and its supervisor logged in. */
const test = base.extend<{ depot: Depot }>({
  // eslint-disable-next-line no-empty-pattern
  depot: async ({}, use) => {
    const backend = await startBackend(['--sandbox', '--seed', 'demo'])
    const api = new BackendApi(backend.url)
    const session = await api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, { json: SUPERVISOR })
    await use({ backend, api, supervisorToken: session.supervisorToken })
    await backend.stop()
  },
})

/** Cash taken at the door of the demo route's first COD order, then its QR paid as well: a late payment flag. */
async function latePayment(depot: Depot): Promise<{ waybill: string }> {
  const { code } = await depot.api.call('POST', '/api/v1/depot/enrollment-codes', CreateEnrollmentCodeResponse, {
    token: depot.supervisorToken,
  })
  const device = await depot.api.enroll(code, 'Handheld R')
  const shift = await depot.api.login(device.deviceToken, 'SZ1001', '1234')
  const manifest = await depot.api.manifest(shift.shiftToken, shift.shiftId)
  const order = manifest.stops.flatMap((stop) => stop.orders).find((o) => o.codFen > 0 && o.intent)!
  const paid = await depot.api.pay(order.intent!.qrPayload)
  const events = new EventWriter(shift.shiftId)
  await depot.api.push(device.deviceToken, device.deviceId, [
    events.next(
      {
        type: 'delivery.completed',
        payload: {
          orderId: order.orderId,
          attempt: 1,
          method: 'cash',
          dueFen: order.codFen,
          collectedFen: order.codFen,
          intentId: null,
        },
      },
      new Date(Date.parse(paid.paidAt) - 60_000).toISOString(),
    ),
  ])
  return { waybill: order.waybill }
}

for (const viewport of [
  { width: 1440, height: 900 },
  { width: 1024, height: 768 },
]) {
  test(`a supervisor approves a late payment's refund with a note and sees it to "refunded" (${viewport.width}x${viewport.height})`, async ({
    page,
    depot,
  }) => {
    test.setTimeout(150_000)
    await page.setViewportSize(viewport)
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await depot.api.setBehaviour({ refundDelayMs: 2_500 })
    const { waybill } = await latePayment(depot)

    await page.goto(`${depot.backend.url}/depot`)
    await page.getByTestId('depot-login').fill(SUPERVISOR.login)
    await page.getByTestId('depot-password').fill(SUPERVISOR.password)
    await page.getByTestId('depot-login-submit').click()
    await expect(page.getByTestId('depot-live')).toHaveAttribute('data-state', 'live')
    await page.getByTestId('tab-attention').click()
    const flagRow = page.locator('[data-testid="flag-row"][data-kind="late_payment_after_cash"]')
    await expect(flagRow).toHaveText(waybill, { timeout: 15_000 })
    const approve = page.locator('[data-testid="refund-approve"]')
    await expect(approve).toHaveCount(1)
    const flagId = (await approve.getAttribute('data-flag-id'))!
    expect(flagId).toMatch(/^flg_/)

    await approve.click()
    await expect(page.getByTestId('refund-dialog')).toBeVisible()
    // A note is required: the approve button waits for one.
    await expect(page.getByTestId('refund-confirm')).toBeDisabled()
    await page.getByTestId('refund-note').fill('已收现金，顾客又扫码付款')
    await page.screenshot({
      path: join(SHOTS, `dashboard-refund-dialog-zh-CN-${viewport.width}x${viewport.height}.png`),
      animations: 'disabled',
    })
    await page.getByTestId('refund-confirm').click()

    // Approved is not refunded: the acquirer takes 2.5 s to reach its result.
    const status = page.locator(`[data-testid="refund-status"][data-flag-id="${flagId}"]`)
    await expect(status).toHaveAttribute('data-status', /requested|processing/)
    await expect(page.locator(`[data-testid="refund-approve"][data-flag-id="${flagId}"]`)).toHaveCount(0)
    await page.screenshot({
      path: join(SHOTS, `dashboard-refund-processing-zh-CN-${viewport.width}x${viewport.height}.png`),
      animations: 'disabled',
    })
    await expect(status).toHaveAttribute('data-status', 'succeeded', { timeout: 15_000 })
    await expect(status).toHaveText('已退款')

    await page.getByTestId('depot-lang-en').click()
    await expect(status).toHaveText('Refunded')
    await page.screenshot({
      path: join(SHOTS, `dashboard-refund-done-en-${viewport.width}x${viewport.height}.png`),
      animations: 'disabled',
    })

    const refunds = await depot.api.call('GET', '/api/v1/depot/refunds', RefundsResponse, {
      token: depot.supervisorToken,
    })
    expect(refunds.refunds).toEqual([
      expect.objectContaining({ flagId, status: 'succeeded', note: '已收现金，顾客又扫码付款', waybill }),
    ])
    expect(errors).toEqual([])
  })
}

test('the dashboard lists an intent past the bound while the acquirer is down, with why (1440x900)', async ({
  page,
}) => {
  test.setTimeout(150_000)
  await page.setViewportSize({ width: 1440, height: 900 })
  // A 2 s bound instead of 10 min, so the worker reaches the intent while the test watches.
  process.env.TUOTOU_CLOSURE_AFTER_MS = '2000'
  const backend = await startBackend(['--sandbox', '--seed', 'demo']).finally(() => {
    delete process.env.TUOTOU_CLOSURE_AFTER_MS
  })
  try {
    const api = new BackendApi(backend.url)
    const session = await api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, { json: SUPERVISOR })
    const { code } = await api.call('POST', '/api/v1/depot/enrollment-codes', CreateEnrollmentCodeResponse, {
      token: session.supervisorToken,
    })
    const device = await api.enroll(code, 'Handheld C')
    const shift = await api.login(device.deviceToken, 'SZ1001', '1234')
    const manifest = await api.manifest(shift.shiftToken, shift.shiftId)
    const order = manifest.stops.flatMap((stop) => stop.orders).find((o) => o.codFen > 0 && o.intent)!
    // The acquirer goes down; the courier fails the door, so the intent must be withdrawn, and cannot be.
    await api.setBehaviour({ outage: true })
    await api.push(device.deviceToken, device.deviceId, [
      new EventWriter(shift.shiftId).next({
        type: 'delivery.failed',
        payload: { orderId: order.orderId, attempt: 1, reason: 'not_home' },
      }),
    ])
    const closure = () => api.call('GET', '/api/v1/depot/closure', ClosureResponse, { token: session.supervisorToken })
    await expect
      .poll(async () => (await closure()).intents.find((i) => i.intentId === order.intent!.intentId)?.attempts ?? 0, {
        timeout: 30_000,
      })
      .toBeGreaterThan(0)

    await page.goto(`${backend.url}/depot`)
    await page.getByTestId('depot-login').fill(SUPERVISOR.login)
    await page.getByTestId('depot-password').fill(SUPERVISOR.password)
    await page.getByTestId('depot-login-submit').click()
    await page.getByTestId('tab-attention').click()
    const row = page.locator(`[data-testid="closure-row"][data-intent-id="${order.intent!.intentId}"]`)
    await expect(row).toHaveText(order.waybill)
    await expect(page.getByTestId('closure-panel')).toContainText('未终结的支付')
    await page.screenshot({ path: join(SHOTS, 'dashboard-closure-zh-CN-1440x900.png'), animations: 'disabled' })
    await page.getByTestId('depot-lang-en').click()
    await expect(page.getByTestId('closure-panel')).toContainText('Payments not yet final')
    await page.screenshot({ path: join(SHOTS, 'dashboard-closure-en-1440x900.png'), animations: 'disabled' })

    // The acquirer is back: the worker settles it and the list is empty again.
    await api.setBehaviour({ outage: false })
    await expect.poll(async () => (await closure()).intents.length, { timeout: 60_000 }).toBe(0)
  } finally {
    await backend.stop()
  }
})
