import { join } from 'node:path'
import { test as base, expect, type Page } from '@playwright/test'
import { BackendApi } from '../backend/testing/api'
import { openBackendDb } from '../backend/db/connect'
import { createRoute } from '../backend/seed/builders'
import { routeDateOf } from '../backend/manifests/route-date'
import { CreateEnrollmentCodeResponse } from '../shared/api/device'
import { SupervisorLoginResponse } from '../shared/api/depot'
import { playRound, type RoundCourier } from './support/depot-round'
import { startBackend, type Running } from './support/processes'
import { DASHBOARD_SIZES, expectNothingClipped, SHOTS } from './support/screens'

const DEPOT = 'dep_SZXC0001'
const SUPERVISOR = { login: 'zhang.wei', password: 'tuotou-demo' }
const SIZES = DASHBOARD_SIZES

interface Depot {
  backend: Running & { url: string; dir: string }
  api: BackendApi
  courier(staffId: string, pin: string, label: string): Promise<RoundCourier>
}

const test = base.extend<{ depot: Depot }>({
  // eslint-disable-next-line no-empty-pattern
  depot: async ({}, use) => {
    const backend = await startBackend(['--sandbox', '--seed', 'demo'])
    const api = new BackendApi(backend.url)
    const session = await api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, { json: SUPERVISOR })
    const database = openBackendDb(join(backend.dir, 'backend.sqlite'))
    try {
      await createRoute(database.db, {
        depotId: DEPOT,
        courierId: 'cou_SZXC0002',
        routeDate: routeDateOf(Date.now(), 'Asia/Shanghai'),
        stops: [6660, 0, 19900, 3580].map((codFen, i) => ({
          address: `苏州市相城区元和街道御窑路${20 + i}号`,
          orders: [{ codFen, recipientName: '王芳' }],
        })),
      })
    } finally {
      await database.close()
    }
    await use({
      backend,
      api,
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

test.use({ locale: 'zh-CN' })

/** English words on the Chinese page: anything of three letters or more that is not an ID, a waybill or a unit. */
async function englishOn(page: Page): Promise<string[]> {
  const text = await page.locator('body').innerText()
  return [...text.matchAll(/(?<![\w-])[A-Za-z]{3,}(?![\w-])/g)]
    .map((m) => m[0])
    .filter((word) => !['CSV', 'English'].includes(word))
}

async function look(page: Page, name: string, locale: string): Promise<void> {
  const size = page.viewportSize()!
  await expectNothingClipped(
    page,
    '.el-table__body-wrapper .el-scrollbar__wrap, [data-testid^="kpi-"]',
    `${name} ${size.width}`,
  )
  if (locale === 'zh-CN') expect(await englishOn(page), `${name}: English on the Chinese page`).toEqual([])
  await page.screenshot({
    path: join(SHOTS, `dashboard-${name}-${locale}-${size.width}x${size.height}.png`),
    animations: 'disabled',
  })
}

test('the work queue closes every loop, and the dashboard fits 1024×768 in both languages', async ({ page, depot }) => {
  test.setTimeout(150_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const li = await depot.courier('SZ1001', '1234', 'Handheld A')
  const wang = await depot.courier('SZ1002', '2345', 'Handheld B')
  const start = Date.now() - 2 * 3_600_000
  // Li: cash, then "paid, to be verified" that the acquirer never sees.
  await playRound(
    depot.api,
    li,
    (_order, index) =>
      [{ kind: 'cash' as const }, null, null, { kind: 'unverified' as const, customerPays: false }][index] ?? null,
    { startMs: start, stepMs: 8 * 60_000 },
  )
  await playRound(depot.api, wang, (_order, index) => (index === 0 ? { kind: 'cash' } : null), {
    startMs: start,
    stepMs: 8 * 60_000,
  })
  // Wang delivers a parcel that is on Li's route: refused, and it needs the supervisor.
  const liOrder = li.manifest.stops[5]!.orders[0]!
  const refused = await depot.api.push(wang.deviceToken, wang.deviceId, [
    wang.events!.next(
      {
        type: 'delivery.completed',
        payload: {
          orderId: liOrder.orderId,
          attempt: 1,
          method: 'cash',
          dueFen: liOrder.codFen,
          collectedFen: liOrder.codFen,
          intentId: null,
        },
      },
      new Date(Date.now() - 30 * 60_000).toISOString(),
    ),
  ])
  expect(refused.results[0]!.status).toBe('rejected')
  // Wang's clock is seven minutes behind.
  await depot.api.heartbeat(wang.deviceToken, wang.deviceId, {
    pendingCount: 0,
    oldestPendingAt: null,
    lastSyncAt: new Date().toISOString(),
    appVersion: '0.1.0',
    sentAt: new Date(Date.now() - 7 * 60_000).toISOString(),
  })

  await page.setViewportSize(SIZES[0])
  await page.goto(`${depot.backend.url}/depot`)
  await page.getByTestId('depot-login').fill(SUPERVISOR.login)
  await page.getByTestId('depot-password').fill(SUPERVISOR.password)
  await page.getByTestId('depot-login-submit').click()
  await expect(page.getByTestId('depot-live')).toHaveAttribute('data-state', 'live')

  // At 1024×768 the couriers table is on the first screen, whole.
  const liRow = page.locator('[data-testid="courier-row"][data-staff-id="SZ1001"]')
  await expect(liRow).toBeVisible()
  // Every courier's row is on the first screen, without scrolling.
  for (const staffId of ['SZ1001', 'SZ1002']) {
    const row = await page.locator(`[data-testid="courier-row"][data-staff-id="${staffId}"]`).boundingBox()
    expect(row!.y + row!.height, staffId).toBeLessThan(768)
  }
  await look(page, 'couriers', 'zh-CN')

  await page.getByTestId('tab-attention').click()
  const tab = page.getByTestId('tab-attention')
  const queue = page.getByTestId('work-queue')
  const item = (kind: string) => page.locator(`[data-testid="queue-item"][data-kind="${kind}"]`)
  await expect(item('unverified_not_found')).toHaveCount(1, { timeout: 20_000 })
  await expect(item('rejected_event')).toHaveCount(1)
  await expect(item('clock_skew')).toHaveCount(1)
  await expect(queue).toHaveAttribute('data-open', '3')
  await expect(tab).toHaveAttribute('data-count', '3')
  await look(page, 'queue', 'zh-CN')

  const act = async (kind: string, action: string, note: string, courier?: string) => {
    const itemId = await item(kind).getAttribute('data-item-id')
    await page.locator(`[data-testid="attention-resolve"][data-item-id="${itemId}"][data-action="${action}"]`).click()
    await expect(page.getByTestId('attention-confirm')).toBeDisabled()
    if (courier) {
      await page.getByTestId('attention-courier').click()
      await page.getByTestId(`attention-courier-${courier}`).click()
    }
    await page.getByTestId('attention-note').fill(note)
    await page.getByTestId('attention-confirm').click()
    await expect(page.locator(`[data-testid="audit-item"][data-item-id="${itemId}"]`)).toHaveAttribute(
      'data-action',
      action,
    )
  }
  await act('rejected_event', 'reassign', '王强已送达，改派给他', 'SZ1002')
  await expect(tab).toHaveAttribute('data-count', '2')
  await act('unverified_not_found', 'owed_by_courier', '快递员确认未收款，从工资扣回')
  await expect(tab).toHaveAttribute('data-count', '1')
  await page.setViewportSize(SIZES[1])
  await look(page, 'queue-audit', 'zh-CN')
  await act('clock_skew', 'resolve', '已在站点校准时钟')
  await expect(queue).toHaveAttribute('data-open', '0')
  await expect(tab).toHaveAttribute('data-count', '0')
  // Nothing deleted: the three are in the audit, with who did it.
  await expect(page.locator('[data-testid="audit-item"]')).toHaveCount(3)
  await expect(page.getByTestId('queue-audit')).toContainText('张伟')

  // The order moved: it is on Wang's route now.
  const moved = await depot.api.manifest(wang.shiftToken, wang.shiftId)
  expect(moved.stops.flatMap((stop) => stop.orders).some((order) => order.orderId === liOrder.orderId)).toBe(true)

  // Who is behind: each courier against their own route (Wang's is four orders and the one moved to him), idle
  // time highlighted past the limit the supervisor sets; a target typed in holds everyone to it.
  await page.getByTestId('tab-couriers').click()
  const behind = (staffId: string) => page.locator(`[data-testid="courier-behind"][data-staff-id="${staffId}"]`)
  await expect(behind('SZ1002')).toHaveAttribute('data-target', '5')
  await expect(behind('SZ1001')).not.toHaveAttribute('data-target', '150')
  await expect(behind('SZ1001')).toHaveAttribute('data-idle', 'ok')
  await page.getByTestId('depot-target').locator('input').fill('3')
  await page.getByTestId('depot-target').locator('input').blur()
  await expect(behind('SZ1002')).toHaveAttribute('data-target', '3')
  await page.getByTestId('depot-target').locator('input').fill('')
  await page.getByTestId('depot-target').locator('input').blur()
  await expect(behind('SZ1002')).toHaveAttribute('data-target', '5')
  await look(page, 'couriers', 'zh-CN')
  await page.getByTestId('depot-lang-en').click()
  await expect(page.getByTestId('tab-couriers')).toHaveText(/Couriers/)
  for (const size of SIZES) {
    await page.setViewportSize(size)
    await page.getByTestId('tab-couriers').click()
    await look(page, 'couriers', 'en')
    await page.getByTestId('tab-attention').click()
    await look(page, 'queue', 'en')
  }
  await page.setViewportSize(SIZES[0])
  await page.getByTestId('depot-lang-zh').click()
  await look(page, 'queue-audit', 'zh-CN')
  // Idle: the couriers' times were held to their shifts' start, a minute or so ago; past a one-minute limit
  // the idle time is highlighted.
  await page.getByTestId('tab-couriers').click()
  await page.getByTestId('depot-idle-limit').locator('input').fill('1')
  await page.getByTestId('depot-idle-limit').locator('input').blur()
  await expect(behind('SZ1001')).toHaveAttribute('data-idle', 'over', { timeout: 60_000 })
  await look(page, 'couriers-idle', 'zh-CN')
  expect(errors).toEqual([])
})
