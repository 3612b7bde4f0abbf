import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { test as base, expect, type Page } from '@playwright/test'
import { CashDayResponse } from '../shared/api/dashboard'
import { canonicalDayCloseFigures, DayReportResponse } from '../shared/api/day-close'
import { SupervisorLoginResponse } from '../shared/api/depot'
import { CreateEnrollmentCodeResponse } from '../shared/api/device'
import type { ManifestOrder } from '../shared/api/shift'
import { BackendApi, EventWriter } from '../backend/testing/api'
import { startBackend, type Running } from './support/processes'
import { DASHBOARD_SIZES, expectNothingClipped, SHOTS } from './support/screens'

const SUPERVISOR = { login: 'zhang.wei', password: 'tuotou-demo' }
const SIZES = DASHBOARD_SIZES

interface Courier {
  deviceId: string
  deviceToken: string
  events: EventWriter
  orders: ManifestOrder[]
}

interface Depot {
  backend: Running & { url: string; dir: string }
  api: BackendApi
  supervisorToken: string
  /** SZ1001's day: cash in full, cash ¥5.00 short, "to be verified" never seen, cash then the QR paid too. */
  courier: Courier
}

const cash = (courier: Courier, order: ManifestOrder, collectedFen: number, at: number) =>
  courier.events.next(
    {
      type: 'delivery.completed',
      payload: {
        orderId: order.orderId,
        attempt: 1,
        method: 'cash',
        dueFen: order.codFen,
        collectedFen,
        intentId: null,
      },
    },
    new Date(at).toISOString(),
  )

const test = base.extend<{ depot: Depot }>({
  // eslint-disable-next-line no-empty-pattern
  depot: async ({}, use) => {
    const backend = await startBackend(['--sandbox', '--seed', 'demo'], 120_000)
    const api = new BackendApi(backend.url)
    const session = await api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, { json: SUPERVISOR })
    const { code } = await api.call('POST', '/api/v1/depot/enrollment-codes', CreateEnrollmentCodeResponse, {
      token: session.supervisorToken,
    })
    const device = await api.enroll(code, 'Handheld D')
    const shift = await api.login(device.deviceToken, 'SZ1001', '1234')
    const manifest = await api.manifest(shift.shiftToken, shift.shiftId)
    const orders = manifest.stops.flatMap((stop) => stop.orders).filter((o) => o.codFen > 500 && o.intent)
    const courier: Courier = { ...device, events: new EventWriter(shift.shiftId), orders }
    const [full, short, unverified, late] = orders as [ManifestOrder, ManifestOrder, ManifestOrder, ManifestOrder]
    // The courier's times run from now: the backend holds them to the shift's start and the receipt.
    const paid = await api.pay(late.intent!.qrPayload)
    const now = Date.now()
    await api.push(device.deviceToken, device.deviceId, [
      cash(courier, full, full.codFen, now - 50_000),
      cash(courier, short, short.codFen - 500, now - 40_000),
      courier.events.next(
        {
          type: 'payment.unverified',
          payload: { orderId: unverified.orderId, intentId: unverified.intent!.intentId, amountFen: unverified.codFen },
        },
        new Date(now - 30_000).toISOString(),
      ),
      cash(courier, late, late.codFen, Math.min(now - 20_000, Date.parse(paid.paidAt) - 1_000)),
      courier.events.next(
        { type: 'shift.cash_declared', payload: { declaredFen: full.codFen + short.codFen - 500 + late.codFen } },
        new Date(now - 10_000).toISOString(),
      ),
    ])
    await use({ backend, api, supervisorToken: session.supervisorToken, courier })
    await backend.stop()
  },
})

test.use({ locale: 'zh-CN' })

async function logIn(page: Page, depot: Depot): Promise<void> {
  await page.goto(`${depot.backend.url}/depot`)
  await page.getByTestId('depot-login').fill(SUPERVISOR.login)
  await page.getByTestId('depot-password').fill(SUPERVISOR.password)
  await page.getByTestId('depot-login-submit').click()
  // This machine is shared and slow: the first render after login can take a while.
  await expect(page.getByTestId('depot-live')).toHaveAttribute('data-state', 'live', { timeout: 30_000 })
}

/** Nothing wider than its box; on the Chinese page no English word other than IDs and units. */
async function look(page: Page, name: string, locale: 'zh-CN' | 'en'): Promise<void> {
  const size = page.viewportSize()!
  await expectNothingClipped(
    page,
    '.el-table__body-wrapper .el-scrollbar__wrap, .el-dialog, [data-testid="day-report"]',
    `${name} ${size.width}`,
  )
  if (locale === 'zh-CN') {
    const text = await page.locator('body').innerText()
    const words = [...text.matchAll(/(?<![\w-])[A-Za-z]{3,}(?![\w-])/g)]
      .map((m) => m[0])
      .filter((word) => !['CSV', 'English', 'SHA'].includes(word) && !/^[0-9a-f]+$/.test(word))
    expect(words, `${name}: English on the Chinese page`).toEqual([])
  }
  await page.screenshot({
    path: join(SHOTS, `dashboard-${name}-${locale}-${size.width}x${size.height}.png`),
    animations: 'disabled',
  })
}

async function inBoth(page: Page, name: string, visit: () => Promise<void>): Promise<void> {
  for (const locale of ['zh-CN', 'en'] as const) {
    await page.getByTestId(locale === 'en' ? 'depot-lang-en' : 'depot-lang-zh').click()
    for (const size of SIZES) {
      await page.setViewportSize(size)
      await visit()
      await look(page, name, locale)
    }
  }
  await page.getByTestId('depot-lang-zh').click()
}

test('the work queue item approves a refund right there and marks money never seen as owed; cash shows what the courier owes and takes a blind count by note', async ({
  page,
  depot,
}) => {
  test.setTimeout(180_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await logIn(page, depot)
  const [, short, unverified, late] = depot.courier.orders as [
    ManifestOrder,
    ManifestOrder,
    ManifestOrder,
    ManifestOrder,
  ]

  await page.getByTestId('tab-attention').click()
  const queue = page.getByTestId('work-queue')
  const item = (kind: string) => queue.locator(`[data-testid="queue-item"][data-kind="${kind}"]`)
  await expect(item('late_payment_after_cash')).toHaveCount(1, { timeout: 20_000 })
  await expect(item('unverified_not_found')).toHaveCount(1, { timeout: 30_000 })
  // The refund button is in the item itself.
  const approve = queue.locator('[data-testid="refund-approve"]')
  await expect(approve).toHaveCount(1)
  const flagId = (await approve.getAttribute('data-flag-id'))!
  expect(flagId).toMatch(/^flg_/)
  await inBoth(page, 'dayclose-queue', async () => {
    await expect(approve).toBeVisible()
  })
  await approve.click()
  await expect(page.getByTestId('refund-confirm')).toBeDisabled()
  await page.getByTestId('refund-note').fill('已收现金，顾客又扫码付款')
  await page.getByTestId('refund-confirm').click()
  await expect(page.locator(`[data-testid="refund-status"][data-flag-id="${flagId}"]`)).toHaveCount(1)
  await expect(queue.locator(`[data-testid="refund-approve"][data-flag-id="${flagId}"]`)).toHaveCount(0)

  const owedId = await item('unverified_not_found').getAttribute('data-item-id')
  await page
    .locator(`[data-testid="attention-resolve"][data-item-id="${owedId}"][data-action="owed_by_courier"]`)
    .click()
  await expect(page.getByTestId('attention-confirm')).toBeDisabled()
  await page.getByTestId('attention-note').fill('快递员确认未收款，从工资扣回')
  await page.getByTestId('attention-confirm').click()
  await expect(page.locator(`[data-testid="audit-item"][data-item-id="${owedId}"]`)).toHaveAttribute(
    'data-action',
    'owed_by_courier',
  )

  // Cash: what the courier owes besides the cash, and the hand-in as a blind count.
  await page.getByTestId('tab-cash').click()
  const owed = page.locator('[data-testid="cash-owed"][data-staff-id="SZ1001"]')
  await expect(owed).toHaveAttribute('data-shortfall-fen', '500')
  await expect(owed).toHaveAttribute('data-unverified-fen', String(unverified.codFen))
  await inBoth(page, 'dayclose-cash', async () => {
    await expect(owed).toBeVisible()
  })
  const row = page.locator('[data-testid="cash-row"][data-staff-id="SZ1001"]')
  const expectedFen = Number(await row.getAttribute('data-expected-fen'))
  expect(expectedFen).toBe(depot.courier.orders[0]!.codFen + short.codFen - 500 + late.codFen)

  await page.getByTestId('cash-record-SZ1001').click()
  const dialog = page.getByTestId('cash-dialog')
  // It starts empty, and says nothing of what is expected until the count is in.
  await expect(page.getByTestId('cash-amount')).toHaveValue('')
  await expect(page.getByTestId('cash-after-count')).toHaveCount(0)
  await expect(dialog).not.toContainText((expectedFen / 100).toFixed(2))
  // A bad count is refused and saves nothing.
  await page.getByTestId('cash-denom-n100').fill('1.5')
  await expect(dialog).toContainText('张数必须是不小于 0 的整数')
  await expect(page.getByTestId('cash-save')).toBeDisabled()
  // Count by note, ¥1.00 short of expected: it adds itself up.
  const counted = expectedFen - 100
  const hundreds = Math.floor(counted / 10_000)
  const rest = counted - hundreds * 10_000
  await page.getByTestId('cash-denom-n100').fill(String(hundreds))
  await page.getByTestId('cash-denom-n10').fill(String(Math.floor(rest / 1_000)))
  await page.getByTestId('cash-denom-n1').fill(String(Math.floor((rest % 1_000) / 100)))
  await page.getByTestId('cash-denom-coins').fill(((rest % 100) / 100).toFixed(2))
  await expect(page.getByTestId('cash-denom-total')).toHaveAttribute('data-fen', String(counted))
  await expect(page.getByTestId('cash-amount')).toHaveValue((counted / 100).toFixed(2))
  await expect(page.getByTestId('cash-after-count')).toHaveAttribute('data-gap', '-100')
  await expect(page.getByTestId('cash-save')).toBeDisabled()
  await page.getByTestId('cash-note').fill('少一元，快递员明天补')
  for (const size of SIZES) {
    await page.setViewportSize(size)
    await look(page, 'dayclose-handin', 'zh-CN')
  }
  await page.getByTestId('cash-save').click()
  await expect(row).toHaveAttribute('data-received-fen', String(counted))
  const stored = await depot.api.call('GET', '/api/v1/depot/dashboard/cash', CashDayResponse, {
    token: depot.supervisorToken,
  })
  expect(stored.couriers.find((c) => c.courier.staffId === 'SZ1001')!.denominations).toMatchObject({
    n100: hundreds,
  })
  await page.getByTestId('depot-lang-en').click()
  await page.getByTestId('cash-record-SZ1001').click()
  await page.getByTestId('cash-denom-n50').fill('2')
  for (const size of SIZES) {
    await page.setViewportSize(size)
    await look(page, 'dayclose-handin', 'en')
  }
  await page.keyboard.press('Escape')
  expect(errors).toEqual([])
})

test('a supervisor closes a courier’s day: the report with its checksum, printed on A4 and 80 mm; a late event is flagged against it', async ({
  page,
  depot,
}) => {
  test.setTimeout(180_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.addInitScript('window.print = () => { window.__printed = (window.__printed || 0) + 1 }')
  await logIn(page, depot)
  // Wait for the "to be verified" payment to settle as never seen, so the report owes it.
  await page.getByTestId('tab-attention').click()
  await expect(page.locator('[data-testid="queue-item"][data-kind="unverified_not_found"]')).toHaveCount(1, {
    timeout: 30_000,
  })
  await page.getByTestId('tab-cash').click()
  await page.getByTestId('cash-record-SZ1001').click()
  await page.getByTestId('cash-amount').fill('100.00')
  await page.getByTestId('cash-note').fill('清点时少了')
  await page.getByTestId('cash-save').click()

  await page.getByTestId('tab-dayclose').click()
  const row = page.locator('[data-testid="dayclose-row"][data-staff-id="SZ1001"]')
  await expect(row).toHaveAttribute('data-status', 'open')
  await page.getByTestId('day-report-open-SZ1001').click()
  const report = page.locator('[data-testid="day-report"][data-staff-id="SZ1001"]')
  await expect(report).toHaveAttribute('data-status', 'open')
  await inBoth(page, 'dayclose-open', async () => {
    await expect(report).toBeVisible()
  })

  await page.locator('[data-testid="day-close"][data-staff-id="SZ1001"]').click()
  await expect(page.getByTestId('day-close-dialog')).toBeVisible()
  await page.getByTestId('day-close-note').fill('已核对')
  await page.getByTestId('day-close-confirm').click()
  await expect(row).toHaveAttribute('data-status', 'closed')
  await expect(report).toHaveAttribute('data-status', 'closed')
  await expect(page.locator('[data-testid="day-close"][data-staff-id="SZ1001"]')).toBeDisabled()
  await expect(report).toContainText('张伟')
  await expect(report.locator('[data-testid="day-report-discrepancy"]')).toHaveCount(3)

  // The checksum on the page is SHA-256 over the documented canonical form of the figures the API gives.
  const answer = await depot.api.call('GET', `/api/v1/depot/days/${await dateOf(page)}/report`, DayReportResponse, {
    token: depot.supervisorToken,
  })
  const mine = answer.couriers.find((c) => c.courier.staffId === 'SZ1001')!
  const recomputed = createHash('sha256').update(canonicalDayCloseFigures(mine.figures), 'utf8').digest('hex')
  expect(recomputed).toBe(mine.checksum)
  await expect(report).toHaveAttribute('data-checksum', recomputed)
  await expect(page.getByTestId('day-report-checksum')).toHaveText(recomputed)

  // A hand-in for the closed day is no longer offered.
  await page.getByTestId('tab-cash').click()
  await expect(page.getByTestId('cash-record-SZ1001')).toBeDisabled()
  await expect(page.locator('[data-testid="cash-closed"]')).toHaveCount(1)

  // A late event for the closed day: applied, listed on the report and in the work queue; the figures stay.
  const extra = depot.courier.orders[4]!
  const pushed = await depot.api.push(depot.courier.deviceToken, depot.courier.deviceId, [
    cash(depot.courier, extra, extra.codFen, Date.now() - 5_000),
  ])
  expect(pushed.results[0]!.status).toBe('applied')
  await page.getByTestId('tab-dayclose').click()
  await page.getByTestId('day-report-open-SZ1001').click()
  await expect(report.locator('[data-testid="day-report-late"]')).toHaveCount(1, { timeout: 15_000 })
  await expect(report).toHaveAttribute('data-checksum', recomputed)
  await inBoth(page, 'dayclose-closed', async () => {
    await expect(report).toBeVisible()
  })
  await page.getByTestId('tab-attention').click()
  await expect(page.locator('[data-testid="queue-item"][data-kind="late_after_close"]')).toHaveCount(1)
  await look(page, 'dayclose-late-queue', 'zh-CN')

  // Printed: only the report, on A4 and on an 80 mm roll.
  await page.getByTestId('tab-dayclose').click()
  await page.getByTestId('day-report-open-SZ1001').click()
  for (const [paper, width] of [
    ['a4', 794],
    ['80mm', 302],
  ] as const) {
    await page.setViewportSize({ width: 1024, height: 768 })
    await page.emulateMedia({ media: 'screen' })
    await page.getByTestId(`day-report-print-${paper}`).click()
    await expect(report).toHaveAttribute('data-paper', paper)
    expect(await page.evaluate<number>('window.__printed')).toBeGreaterThan(0)
    await page.emulateMedia({ media: 'print' })
    await page.setViewportSize({ width, height: 1123 })
    await expect(page.getByTestId('tab-dayclose')).toBeHidden()
    await expect(page.getByTestId('day-close-all')).toBeHidden()
    await expect(report).toBeVisible()
    const box = (await report.boundingBox())!
    expect(box.width).toBeLessThanOrEqual(width)
    for (const lang of ['zh-CN', 'en'] as const) {
      await page.emulateMedia({ media: 'screen' })
      await page.getByTestId(lang === 'en' ? 'depot-lang-en' : 'depot-lang-zh').click()
      await page.emulateMedia({ media: 'print' })
      await page.screenshot({ path: join(SHOTS, `dashboard-dayclose-print-${paper}-${lang}.png`), fullPage: true })
      const pdf = await page.pdf({
        path: join(SHOTS, `dashboard-dayclose-print-${paper}-${lang}.pdf`),
        preferCSSPageSize: true,
      })
      // Every page is the paper chosen (A4 595 pt wide, 80 mm 227 pt): no A4 page left around a receipt.
      const widths = [...pdf.toString('latin1').matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+)/g)].map((m) =>
        Math.round(Number(m[1])),
      )
      expect(widths.length, `${paper} ${lang}: pages`).toBeGreaterThan(0)
      expect(new Set(widths), `${paper} ${lang}: page widths`).toEqual(new Set([paper === 'a4' ? 595 : 227]))
    }
  }
  await page.emulateMedia({ media: 'screen' })
  expect(errors).toEqual([])
})

/** The day the dashboard shows (the depot's today). */
async function dateOf(page: Page): Promise<string> {
  return page.evaluate<string>(
    `new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())`,
  )
}
