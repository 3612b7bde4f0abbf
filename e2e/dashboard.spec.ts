import { readFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { test as base, expect, type Page } from '@playwright/test'
import { BackendApi } from '../backend/testing/api'
import { openBackendDb } from '../backend/db/connect'
import { createRoute } from '../backend/seed/builders'
import { routeDateOf } from '../backend/manifests/route-date'
import { CreateEnrollmentCodeResponse } from '../shared/api/device'
import { SupervisorLoginResponse } from '../shared/api/depot'
import { formatFen } from '../shared/money'
import { declareCash, playRound, type DoorOutcome, type RoundCourier, type RoundTotals } from './support/depot-round'
import { startBackend, type Running } from './support/processes'

const SHOTS = join(import.meta.dirname, '.artifacts', 'screens')
mkdirSync(SHOTS, { recursive: true })
const DEPOT = 'dep_SZXC0001'
const SUPERVISOR = { login: 'zhang.wei', password: 'tuotou-demo' }

interface Depot {
  backend: Running & { url: string; dir: string }
  api: BackendApi
  supervisorToken: string
  routeDate: string
  /** Logs a courier of the demo depot in on a freshly enrolled device. */
  courier(staffId: string, pin: string, label: string): Promise<RoundCourier>
}

/** A backend with the demo seed and the sandbox acquirer, and the demo depot's supervisor logged in over HTTP. */
const test = base.extend<{ depot: Depot }>({
  // eslint-disable-next-line no-empty-pattern
  depot: async ({}, use) => {
    const backend = await startBackend(['--sandbox', '--seed', 'demo'])
    const api = new BackendApi(backend.url)
    const session = await api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, { json: SUPERVISOR })
    const routeDate = routeDateOf(Date.now(), 'Asia/Shanghai')
    await use({
      backend,
      api,
      supervisorToken: session.supervisorToken,
      routeDate,
      async courier(staffId, pin, label) {
        const { code } = await api.call('POST', '/api/v1/depot/enrollment-codes', CreateEnrollmentCodeResponse, {
          token: session.supervisorToken,
        })
        const device = await api.enroll(code, label)
        const shift = await api.login(device.deviceToken, staffId, pin)
        const manifest = await api.manifest(shift.shiftToken, shift.shiftId)
        return { ...device, shiftId: shift.shiftId, shiftToken: shift.shiftToken, manifest }
      },
    })
    await backend.stop()
  },
})

test.use({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN', acceptDownloads: true })

/** Gives the second demo courier a route of their own for today, as the depot's planning would. */
async function routeForSecondCourier(depot: Depot): Promise<void> {
  const database = openBackendDb(join(depot.backend.dir, 'backend.sqlite'))
  try {
    await createRoute(database.db, {
      depotId: DEPOT,
      courierId: 'cou_SZXC0002',
      routeDate: depot.routeDate,
      stops: [6660, 0, 19900, 3580, 12800, 0, 8990, 4650].map((codFen, i) => ({
        address: `苏州市相城区元和街道御窑路${20 + i}号 天虹花园${i + 1}幢`,
        orders: [{ codFen, recipientName: '王芳' }],
      })),
    })
  } finally {
    await database.close()
  }
}

/** A plan of doors by position on the route, e.g. cash, e-CNY, prepaid, failures, "to be verified" offline. */
function planOf(doors: (DoorOutcome | null)[]) {
  return (_order: unknown, index: number): DoorOutcome | null => doors[index] ?? null
}
const cash: DoorOutcome = { kind: 'cash' }
const digital: DoorOutcome = { kind: 'digital' }
const prepaid: DoorOutcome = { kind: 'prepaid' }

function add(a: RoundTotals, b: RoundTotals): RoundTotals {
  return {
    delivered: a.delivered + b.delivered,
    failed: a.failed + b.failed,
    digitalFen: a.digitalFen + b.digitalFen,
    awaitingFen: a.awaitingFen + b.awaitingFen,
    cashFen: a.cashFen + b.cashFen,
    prepaid: a.prepaid + b.prepaid,
    failedByReason: {},
    stopMs: [...a.stopMs, ...b.stopMs],
  }
}

async function expectKpis(page: Page, totals: RoundTotals): Promise<void> {
  await expect(page.getByTestId('kpi-delivered')).toHaveAttribute('data-value', String(totals.delivered))
  await expect(page.getByTestId('kpi-failed')).toHaveAttribute('data-value', String(totals.failed))
  await expect(page.getByTestId('kpi-cash')).toHaveAttribute('data-value', String(totals.cashFen))
  await expect(page.getByTestId('kpi-digital')).toHaveAttribute('data-value', String(totals.digitalFen), {
    timeout: 15_000,
  })
  await expect(page.getByTestId('kpi-awaiting')).toHaveAttribute('data-value', String(totals.awaitingFen))
  await expect(page.getByTestId('kpi-prepaid')).toHaveAttribute('data-value', String(totals.prepaid))
}

test('a supervisor follows the rounds live, in both languages, reconciles cash and exports every table', async ({
  page,
  depot,
}) => {
  test.setTimeout(150_000)
  const violations: string[] = []
  const errors: string[] = []
  const foreign: string[] = []
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text())
    // The one refusal expected is the wrong password tried on purpose below.
    else if (message.type() === 'error' && !/status of 401/.test(message.text())) errors.push(message.text())
  })
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('request', (request) => {
    if (!request.url().startsWith(depot.backend.url) && !/^(data|blob):/.test(request.url()))
      foreign.push(request.url())
  })

  await routeForSecondCourier(depot)
  const li = await depot.courier('SZ1001', '1234', 'Handheld A')
  const wang = await depot.courier('SZ1002', '2345', 'Handheld B')
  // The rounds started a few hours ago, by the couriers' clocks.
  const start = Date.now() - 3 * 3_600_000
  // The demo route: ¥66.60, prepaid, ¥168.00 in two boxes, ¥199.00, prepaid, prepaid, ¥56.00, ¥78.00, ¥1,299.00…
  const first = await playRound(
    depot.api,
    li,
    planOf([
      cash,
      prepaid,
      digital,
      { kind: 'failed', reason: 'not_home' },
      prepaid,
      prepaid,
      digital,
      { kind: 'unverified', customerPays: true },
      cash,
      prepaid,
      { kind: 'unverified', customerPays: false },
      prepaid,
    ]),
    { startMs: start, stepMs: 9 * 60_000 },
  )
  const second = await playRound(
    depot.api,
    wang,
    planOf([digital, prepaid, cash, { kind: 'failed', reason: 'refused' }, digital, prepaid]),
    {
      startMs: start + 20 * 60_000,
      stepMs: 11 * 60_000,
    },
  )
  await declareCash(depot.api, li, first.cashFen - 500, Date.now() - 10 * 60_000)
  await depot.api.heartbeat(wang.deviceToken, wang.deviceId, {
    pendingCount: 3,
    oldestPendingAt: new Date(Date.now() - 25 * 60_000).toISOString(),
    lastSyncAt: new Date(Date.now() - 26 * 60_000).toISOString(),
    appVersion: '0.1.0',
    sentAt: new Date().toISOString(),
  })

  await page.goto(`${depot.backend.url}/depot`)
  await expect(page.getByRole('heading', { name: '主管登录' })).toBeVisible()
  await page.getByTestId('depot-login').fill(SUPERVISOR.login)
  await page.getByTestId('depot-password').fill('wrong password')
  await page.getByTestId('depot-login-submit').click()
  await expect(page.getByTestId('login-error')).toContainText('账号或密码错误')
  await page.getByTestId('depot-password').fill(SUPERVISOR.password)
  await page.getByTestId('depot-login-submit').click()
  await expect(page.getByTestId('depot-name')).toHaveText('京东物流苏州相城营业部')
  await expect(page.getByTestId('depot-live')).toHaveAttribute('data-state', 'live')

  const totals = add(first, second)
  await expectKpis(page, totals)
  const liRow = page.locator('[data-testid="courier-row"][data-staff-id="SZ1001"]')
  await expect(liRow).toHaveAttribute('data-delivered', String(first.delivered))
  await expect(liRow).toHaveAttribute('data-cash-fen', String(first.cashFen))
  await expect(liRow).toHaveAttribute('data-digital-fen', String(first.digitalFen))
  await expect(liRow).toHaveAttribute('data-awaiting-fen', String(first.awaitingFen))
  await expect(page.locator('[data-testid="courier-row"][data-staff-id="SZ1002"]')).toHaveAttribute(
    'data-delivered',
    String(second.delivered),
  )
  await expect(page.getByTestId('kpi-cash')).toContainText(formatFen(totals.cashFen))
  await page.locator('[data-testid="courier-row"][data-staff-id="SZ1001"]').click()
  await page.screenshot({ path: join(SHOTS, 'dashboard-couriers-zh-CN.png'), fullPage: true, animations: 'disabled' })

  // Live: more deliveries arrive while the page is open; the figures follow without a reload.
  await page.evaluate(() => ((globalThis as unknown as { stayed: boolean }).stayed = true))
  const more = await playRound(
    depot.api,
    li,
    (order, index) =>
      index >= 12 && index < 15 ? (order.codFen === 0 ? { kind: 'prepaid' } : { kind: 'cash' }) : null,
    { startMs: Date.now() - 20 * 60_000, stepMs: 5 * 60_000 },
  )
  const later = add(totals, more)
  await expectKpis(page, later)
  expect(await page.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed)).toBe(true)

  // The backend's own records say the same.
  const database = openBackendDb(join(depot.backend.dir, 'backend.sqlite'))
  try {
    const delivered = await database.db
      .selectFrom('delivery_attempts')
      .innerJoin('orders', 'orders.id', 'delivery_attempts.order_id')
      .select(['delivery_attempts.outcome', 'delivery_attempts.method', 'delivery_attempts.collected_fen', 'orders.id'])
      .where('orders.depot_id', '=', DEPOT)
      .where('orders.route_date', '=', depot.routeDate)
      .execute()
    expect(delivered.filter((a) => a.outcome === 'delivered')).toHaveLength(later.delivered)
    expect(delivered.filter((a) => a.method === 'cash').reduce((sum, a) => sum + a.collected_fen, 0)).toBe(
      later.cashFen,
    )
    const digitalOrders = delivered.filter((a) => a.method === 'digital').map((a) => a.id)
    await expect
      .poll(async () => {
        const payments = await database.db
          .selectFrom('payments')
          .select(['order_id', 'amount_fen'])
          .where('order_id', 'in', digitalOrders)
          .where('outcome', '=', 'succeeded')
          .execute()
        return payments.reduce((sum, p) => sum + p.amount_fen, 0)
      })
      .toBe(later.digitalFen)
  } finally {
    await database.close()
  }

  await page.getByTestId('tab-devices').click()
  const wangDevice = page.locator(`[data-testid="device-row"][data-device-id="${wang.deviceId}"]`)
  await expect(wangDevice).toHaveAttribute('data-pending', '3')
  await page.screenshot({ path: join(SHOTS, 'dashboard-devices-zh-CN.png'), fullPage: true, animations: 'disabled' })

  await page.getByTestId('tab-attention').click()
  await expect(page.locator('[data-testid="settlement-row"]')).toHaveCount(2)
  await expect(page.locator('[data-testid="settlement-row"][data-status="verified"]')).toHaveCount(1, {
    timeout: 15_000,
  })
  await expect(page.locator('[data-testid="flag-row"][data-kind="unverified_not_found"]')).toHaveCount(1, {
    timeout: 15_000,
  })
  await page.screenshot({ path: join(SHOTS, 'dashboard-attention-zh-CN.png'), fullPage: true, animations: 'disabled' })

  // Cash: the courier declared ¥5.00 short; the supervisor counts ¥5.00 short too, which needs a note.
  await page.getByTestId('tab-cash').click()
  const cashRow = page.locator('[data-testid="cash-row"][data-staff-id="SZ1001"]')
  const liCash = first.cashFen + more.cashFen
  await expect(cashRow).toHaveAttribute('data-expected-fen', String(liCash))
  await expect(cashRow).toHaveAttribute('data-declared-fen', String(first.cashFen - 500))
  await expect(cashRow).toHaveAttribute('data-status', 'awaiting')
  await page.getByTestId('cash-record-SZ1001').click()
  const received = liCash - 500
  await page.getByTestId('cash-amount').fill((received / 100).toFixed(2))
  await expect(page.getByTestId('cash-save')).toBeDisabled()
  await expect(page.getByTestId('cash-dialog')).toContainText('请填写备注')
  await page.getByTestId('cash-note').fill('少交5元，明早补交')
  await page.getByTestId('cash-save').click()
  await expect(cashRow).toHaveAttribute('data-status', 'discrepancy')
  await expect(page.locator('.el-message')).toHaveCount(0)
  await expect(cashRow).toHaveAttribute('data-received-fen', String(received))
  await expect(page.locator('[data-testid="audit-row"]')).toHaveCount(1)
  await expect(page.locator('[data-testid="audit-row"]').first()).toHaveAttribute('data-action', 'recorded')
  await page.screenshot({ path: join(SHOTS, 'dashboard-cash-zh-CN.png'), fullPage: true, animations: 'disabled' })

  // CSV: UTF-8 with a byte order mark, so Excel shows the Chinese names.
  const download = page.waitForEvent('download')
  await page.getByTestId('export-cash').click()
  const file = await (await download).path()
  const bytes = readFileSync(file)
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
  const csv = bytes.toString('utf8').slice(1)
  expect(csv.split('\r\n')[0]).toBe(
    '工号,姓名,应收现金,cash_collections,快递员申报,实收,差额,状态,备注,记录人,时间,门口短收,未到账待核实,快递员欠款',
  )
  expect(csv).toContain(`SZ1001,李强,${(liCash / 100).toFixed(2)},`)
  expect(csv).toContain(`,-5.00,有差额,少交5元，明早补交,张伟,`)

  // English, switched on the page and remembered.
  await page.getByTestId('depot-lang-en').click()
  await expect(page.getByTestId('tab-cash')).toHaveText('Cash reconciliation')
  await expect(cashRow.locator('xpath=ancestor::tr')).toContainText('Discrepancy')
  await page.screenshot({ path: join(SHOTS, 'dashboard-cash-en.png'), fullPage: true, animations: 'disabled' })
  await page.getByTestId('tab-couriers').click()
  await expectKpis(page, later)
  await page.locator('[data-testid="courier-row"][data-staff-id="SZ1001"]').click()
  await page.screenshot({ path: join(SHOTS, 'dashboard-couriers-en.png'), fullPage: true, animations: 'disabled' })
  const couriersCsv = page.waitForEvent('download')
  await page.getByTestId('export-couriers').click()
  const couriersText = readFileSync(await (await couriersCsv).path(), 'utf8')
  expect(couriersText.startsWith('\uFEFFStaff ID,Name,')).toBe(true)
  await page.getByTestId('tab-attention').click()
  await page.screenshot({ path: join(SHOTS, 'dashboard-attention-en.png'), fullPage: true, animations: 'disabled' })
  await page.reload()
  await expect(page.getByTestId('tab-couriers')).toHaveText('Couriers')

  await page.getByTestId('depot-logout').click()
  await expect(page.getByRole('heading', { name: 'Supervisor login' })).toBeVisible()
  expect(violations).toEqual([])
  expect(errors).toEqual([])
  expect(foreign).toEqual([])
})

test('a courier or a device cannot open the dashboard, and a supervisor sees only their own depot', async ({
  depot,
}) => {
  const li = await depot.courier('SZ1001', '1234', 'Handheld A')
  for (const token of [li.shiftToken, li.deviceToken]) {
    const answer = await depot.api.raw('GET', '/api/v1/depot/dashboard/couriers', { token })
    expect(answer.status).toBe(403)
  }
  const mine = await depot.api.raw('GET', '/api/v1/depot/dashboard/couriers', { token: depot.supervisorToken })
  expect((mine.json as { depot: { depotId: string } }).depot.depotId).toBe(DEPOT)
})
