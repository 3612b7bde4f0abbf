import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { BackendApi, EventWriter, openStream } from '../backend/testing/api'
import { openBackendDb } from '../backend/db/connect'
import { createRoute } from '../backend/seed/builders'
import { routeDateOf } from '../backend/manifests/route-date'
import { SupervisorLoginResponse } from '../shared/api/depot'
import { CreateEnrollmentCodeResponse } from '../shared/api/device'
import { startBackend } from './support/processes'
import { DASHBOARD_SIZES, expectNothingClipped, SHOTS } from './support/screens'

// A supervisor moves a run of stops from one courier to another on the dashboard's route tab: both couriers'
// terminals hear it over their streams; an order whose QR is up cannot be picked, and one whose QR went up while
// the supervisor was choosing is refused with the reason, moving nothing.

const DEPOT = 'dep_SZXC0001'
const SUPERVISOR = { login: 'zhang.wei', password: 'tuotou-demo' }
const SIZES = DASHBOARD_SIZES

/** English words on the Chinese page, leaving out waybills and the language picker. */
async function englishOn(page: Page): Promise<string[]> {
  const text = await page.locator('body').innerText()
  return [...text.matchAll(/(?<![\w-])[A-Za-z]{3,}(?![\w-])/g)]
    .map((m) => m[0])
    .filter((word) => !['CSV', 'English'].includes(word))
}

async function look(page: Page, name: string, locale: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size)
    await expectNothingClipped(page, '.el-table__body-wrapper .el-scrollbar__wrap', `${name} ${size.width}`)
    if (locale === 'zh-CN') expect(await englishOn(page), `${name}: English on the Chinese page`).toEqual([])
    await page.screenshot({
      path: join(SHOTS, `dashboard-${name}-${locale}-${size.width}x${size.height}.png`),
      animations: 'disabled',
    })
  }
}

test.use({ locale: 'zh-CN' })

test('a run of stops moves to another courier; both terminals hear it; a collection in progress is refused', async ({
  page,
}) => {
  test.setTimeout(150_000)
  const backend = await startBackend(['--sandbox', '--seed', 'demo'])
  try {
    const api = new BackendApi(backend.url)
    const session = await api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, { json: SUPERVISOR })
    const database = openBackendDb(join(backend.dir, 'backend.sqlite'))
    try {
      await createRoute(database.db, {
        depotId: DEPOT,
        courierId: 'cou_SZXC0002',
        routeDate: routeDateOf(Date.now(), 'Asia/Shanghai'),
        stops: [6660, 0].map((codFen, i) => ({
          address: `苏州市相城区元和街道御窑路${20 + i}号`,
          orders: [{ codFen, recipientName: '王芳' }],
        })),
      })
    } finally {
      await database.close()
    }
    const terminal = async (staffId: string, pin: string) => {
      const { code } = await api.call('POST', '/api/v1/depot/enrollment-codes', CreateEnrollmentCodeResponse, {
        token: session.supervisorToken,
      })
      const device = await api.enroll(code)
      const shift = await api.login(device.deviceToken, staffId, pin)
      const manifest = await api.manifest(shift.shiftToken, shift.shiftId)
      return { device, shift, manifest, events: new EventWriter(shift.shiftId) }
    }
    const li = await terminal('SZ1001', '1234')
    const wang = await terminal('SZ1002', '2345')
    const liOrders = li.manifest.stops.flatMap((stop) => stop.orders)
    const cod = liOrders.filter((order) => order.codFen > 0 && order.intent)
    // Li has the first COD order's QR up at the door.
    const atTheDoor = cod[0]!
    await api.push(li.device.deviceToken, li.device.deviceId, [
      li.events.next({
        type: 'payment.qr_shown',
        payload: { orderId: atTheDoor.orderId, intentId: atTheDoor.intent!.intentId },
      }),
    ])
    const liStream = await openStream(backend.url, li.device.deviceId, li.device.deviceToken, 0)
    const wangStream = await openStream(backend.url, wang.device.deviceId, wang.device.deviceToken, 0)

    await page.setViewportSize(SIZES[0])
    await page.goto(`${backend.url}/depot/`)
    await page.getByTestId('depot-login').fill(SUPERVISOR.login)
    await page.getByTestId('depot-password').fill(SUPERVISOR.password)
    await page.getByTestId('depot-login-submit').click()
    await expect(page.getByTestId('depot-live')).toHaveAttribute('data-state', 'live', { timeout: 40_000 })
    // Li's own target for today, over his route's size; cleared, he is held to his route again.
    const behind = page.locator('[data-testid="courier-behind"][data-staff-id="SZ1001"]')
    await expect(behind).toHaveAttribute('data-target-source', 'route')
    const routeSize = await behind.getAttribute('data-target')
    await page.locator('[data-testid="courier-target-edit"][data-staff-id="SZ1001"]').click()
    const form = page.locator('[data-testid="courier-target-form"][data-staff-id="SZ1001"]')
    await form.getByTestId('courier-target-input').locator('input').fill('30')
    await form.getByTestId('courier-target-save').click()
    await expect(behind).toHaveAttribute('data-target', '30')
    await expect(behind).toHaveAttribute('data-target-source', 'courier')
    await look(page, 'couriers-target', 'zh-CN')
    await page.locator('[data-testid="courier-target-edit"][data-staff-id="SZ1001"]').click()
    await form.getByTestId('courier-target-clear').click()
    await expect(behind).toHaveAttribute('data-target-source', 'route')
    await expect(behind).toHaveAttribute('data-target', routeSize!)

    await page.getByTestId('tab-routes').click()
    await page.getByTestId('route-courier').click()
    await page.getByTestId('route-courier-SZ1001').click()
    const row = (orderId: string) =>
      page.locator('tr', { has: page.locator(`[data-testid="route-order"][data-order-id="${orderId}"]`) })
    await expect(row(atTheDoor.orderId).getByTestId('order-collecting')).toHaveAttribute('data-reason', 'qr_shown')
    // The order at the door can be neither picked nor moved.
    await expect(row(atTheDoor.orderId).locator('.el-checkbox input')).toBeDisabled()
    await expect(page.locator(`[data-testid="order-reassign"][data-order-id="${atTheDoor.orderId}"]`)).toBeDisabled()
    await look(page, 'routes', 'zh-CN')

    // A run of three stops further on goes to Wang.
    const run = liOrders.filter((order) => order.orderId !== atTheDoor.orderId).slice(4, 7)
    for (const order of run) await row(order.orderId).locator('.el-checkbox').click()
    await expect(page.getByTestId('reassign-run')).toHaveAttribute('data-count', '3')
    await page.getByTestId('reassign-run').click()
    await page.getByTestId('reassign-to').click()
    await page.getByTestId('reassign-to-SZ1002').click()
    await look(page, 'routes-reassign', 'zh-CN')
    await page.getByTestId('reassign-confirm').click()
    await expect(page.getByTestId('reassign-done')).toBeVisible()
    for (const order of run) await expect(row(order.orderId)).toHaveCount(0)
    // Both terminals heard every stop of the run over their streams.
    for (const order of run) {
      await liStream.waitFor(
        (m) => m.event === 'manifest' && (m.data as { orderId: string }).orderId === order.orderId,
        10_000,
      )
      await wangStream.waitFor(
        (m) => m.event === 'manifest' && (m.data as { orderId: string }).orderId === order.orderId,
        10_000,
      )
    }
    const wangNow = (await api.manifest(wang.shift.shiftToken, wang.shift.shiftId)).stops.flatMap((s) => s.orders)
    expect(wangNow.map((order) => order.orderId)).toEqual(expect.arrayContaining(run.map((order) => order.orderId)))

    // While the supervisor is choosing, Li shows another order's QR: the move is refused with the reason, and
    // nothing of the run moves.
    const next = cod.find((order) => !run.some((moved) => moved.orderId === order.orderId) && order !== atTheDoor)!
    const alongside = liOrders.find(
      (order) => order.codFen === 0 && !run.some((moved) => moved.orderId === order.orderId),
    )!
    await row(next.orderId).locator('.el-checkbox').click()
    await row(alongside.orderId).locator('.el-checkbox').click()
    await page.getByTestId('reassign-run').click()
    await page.getByTestId('reassign-to').click()
    await page.getByTestId('reassign-to-SZ1002').click()
    await api.push(li.device.deviceToken, li.device.deviceId, [
      li.events.next({ type: 'payment.qr_shown', payload: { orderId: next.orderId, intentId: next.intent!.intentId } }),
    ])
    await page.getByTestId('reassign-confirm').click()
    await expect(page.getByTestId('reassign-error')).toContainText(next.waybill)
    await expect(page.getByTestId('reassign-error')).toContainText('收款码已展示')
    await look(page, 'routes-refused', 'zh-CN')
    await page.getByTestId('reassign-cancel').click()
    await expect(row(alongside.orderId)).toHaveCount(1)
    await expect(row(next.orderId).getByTestId('order-collecting')).toHaveAttribute('data-reason', 'qr_shown')

    await page.getByTestId('depot-lang-en').click()
    await look(page, 'routes', 'en')
    liStream.close()
    wangStream.close()
  } finally {
    await backend.stop()
  }
})
