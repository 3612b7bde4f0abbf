import { mkdirSync, mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, expect, test, type Browser, type Page } from '@playwright/test'
import { BackendApi } from '../backend/testing/api'
import { DepotDevicesResponse, SupervisorLoginResponse } from '../shared/api/depot'
import { enrollmentQrContent } from '../shared/api/depot-devices'
import { CHROMIUM_FLAGS, findChromium } from '../scripts/launch'
import { fakeCameraFlags, writeLabelCameraFeed } from './support/camera-feed'
import { BackendRecords } from './support/backend-records'
import { Courier } from './support/courier'
import { startCoverageLink, type CoverageLink } from './support/coverage-link'
import { demoRoute } from './support/demo-route'
import { DeviceRecords } from './support/device-records'
import { decodeQrPng } from './support/qr'
import { startSandboxBackend, startTerminal, type Running, type SandboxBackend } from './support/processes'
import { DASHBOARD_SIZES, expectNothingClipped, HANDHELD_SIZES, shot, SHOTS } from './support/screens'

// Devices from the depot's side and the terminal's: a supervisor issues an enrollment code, shown as text and as a
// QR; the terminal's setup screen reads the QR with its camera (a wrong QR refused, saying why) and enrolls; the
// supervisor retires the device, and the terminal says so at once, keeping what it had not sent.

const SUPERVISOR = { login: 'zhang.wei', password: 'tuotou-demo' }
const TERMINAL_SIZES = HANDHELD_SIZES
const LOCALES = ['zh-CN', 'en'] as const
const FEEDS = join(import.meta.dirname, '.artifacts', 'enrollment-feeds')
mkdirSync(FEEDS, { recursive: true })

/** English words on the Chinese dashboard, leaving out data (device labels) and what is English in any language. */
async function englishOn(page: Page, labels: string[]): Promise<string[]> {
  let text = await page.locator('body').innerText()
  for (const label of labels) text = text.split(label).join('')
  return [...text.matchAll(/(?<![\w-])[A-Za-z]{3,}(?![\w-])/g)]
    .map((m) => m[0])
    .filter((word) => !['CSV', 'English'].includes(word))
}

async function lookAtDashboard(page: Page, name: string, locale: string, labels: string[]): Promise<void> {
  const size = page.viewportSize()!
  // Element Plus lays a table out again a moment after the window changes size: judge the settled layout.
  await expectNothingClipped(
    page,
    '[data-testid="devices-view"] .el-table__body-wrapper .el-scrollbar__wrap',
    `${name} ${size.width}`,
  )
  if (locale === 'zh-CN') expect(await englishOn(page, labels), `${name}: English on the Chinese page`).toEqual([])
  await page.screenshot({
    path: join(SHOTS, `dashboard-${name}-${locale}-${size.width}x${size.height}.png`),
    animations: 'disabled',
  })
}

async function dashboard(browser: Browser, url: string, locale: string): Promise<Page> {
  const context = await browser.newContext({ locale, viewport: DASHBOARD_SIZES[0] })
  const page = await context.newPage()
  await page.goto(`${url}/depot/`)
  await page.getByTestId('depot-login').fill(SUPERVISOR.login)
  await page.getByTestId('depot-password').fill(SUPERVISOR.password)
  await page.getByTestId('depot-login-submit').click()
  await expect(page.getByTestId('depot-live')).toHaveAttribute('data-state', 'live', { timeout: 40_000 })
  await page.getByTestId('tab-devices').click()
  await expect(page.getByTestId('devices-view')).toBeVisible()
  return page
}

/** A Chromium whose camera sees `text` as a QR: the terminal's camera scanner reads it as it would a real one. */
async function browserSeeing(name: string, text: string): Promise<Browser> {
  // A folder of its own, so runs side by side (--repeat-each) never read one another's QR.
  const feed = join(mkdtempSync(join(FEEDS, `${name}-`)), 'feed.y4m')
  await writeLabelCameraFeed(feed, text, 'qr')
  return chromium.launch({
    executablePath: findChromium() ?? undefined,
    args: [...CHROMIUM_FLAGS, ...fakeCameraFlags(feed)],
  })
}

async function terminalPage(
  browser: Browser,
  url: string,
  locale: string,
  size: { width: number; height: number } = TERMINAL_SIZES[1],
): Promise<Page> {
  const context = await browser.newContext({ locale, viewport: size, permissions: ['camera'] })
  const page = await context.newPage()
  await page.goto(url)
  return page
}

let sandbox: SandboxBackend
let link: CoverageLink
let terminal: Running & { url: string; dir: string }
test.beforeEach(async () => {
  sandbox = await startSandboxBackend()
  link = await startCoverageLink(sandbox.url)
  terminal = await startTerminal(link.url)
})
test.afterEach(async () => {
  await terminal?.stop()
  await link?.close()
  await sandbox?.stop()
})

test('a supervisor enrolls a terminal by its QR; a wrong QR is refused, saying why', async ({ browser }) => {
  test.setTimeout(180_000)
  // The supervisor issues a code: text and QR, in both languages and at both sizes.
  const boss = await dashboard(browser, sandbox.url, 'zh-CN')
  await boss.getByTestId('enrollment-issue').click()
  const code = boss.getByTestId('enrollment-code')
  await expect(code).toHaveAttribute('data-code', /^[A-HJ-NP-Z2-9]{8}$/)
  const issued = (await code.getAttribute('data-code'))!
  await expect(boss.getByTestId('enrollment-qr')).toBeVisible()
  expect(await decodeQrPng(await boss.getByTestId('enrollment-qr').screenshot())).toEqual([enrollmentQrContent(issued)])
  // Device labels are data (the demo's is English), not the page's words; so is the code, which is all letters
  // about one time in ten (24 of its 32 characters are letters: CI once read HJVWYNAK as an English word).
  const labels = await boss.locator('[data-testid="device-row"]').allInnerTexts()
  for (const size of DASHBOARD_SIZES) {
    await boss.setViewportSize(size)
    await lookAtDashboard(boss, 'enrollment', 'zh-CN', [...labels, issued])
  }
  await boss.getByTestId('enrollment-close').click()
  await boss.getByTestId('depot-lang-en').click()
  await boss.getByTestId('enrollment-issue').click()
  await expect(boss.getByTestId('enrollment-code')).toHaveAttribute('data-code', /^[A-HJ-NP-Z2-9]{8}$/)
  await expect(boss.getByTestId('enrollment-qr')).toBeVisible()
  for (const size of DASHBOARD_SIZES) {
    await boss.setViewportSize(size)
    await lookAtDashboard(boss, 'enrollment', 'en', labels)
  }
  // The last code shown is the one the terminal scans (each is single-use; the first stays unused).
  const latest = (await boss.getByTestId('enrollment-code').getAttribute('data-code'))!

  // A QR that is not an enrollment code (a parcel label's, or a newer format) is refused, and nothing enrolls.
  for (const [name, text, problem] of [
    ['waybill', 'JDVA24051600001-1-1-', 'not_enrollment'],
    ['newer', `TUOTOU:ENROLL:2:${latest}`, 'unknown_version'],
  ] as const) {
    const wrong = await browserSeeing(name, text)
    try {
      for (const locale of LOCALES) {
        const page = await terminalPage(wrong, terminal.url, locale)
        await expect(page.getByTestId('setup-screen')).toBeVisible()
        await page.getByTestId('enroll-scan').click()
        await expect(page.getByTestId('enroll-qr-error')).toHaveAttribute('data-problem', problem, { timeout: 20_000 })
        await expect(page.getByTestId('camera-scanner')).toBeHidden()
        if (name === 'waybill') {
          for (const size of TERMINAL_SIZES) {
            await page.setViewportSize(size)
            await shot(page, 'enroll-qr-refused', locale, { targets: true })
          }
        }
        await page.context().close()
      }
    } finally {
      await wrong.close()
    }
  }
  const api = new BackendApi(sandbox.url)
  const session = await api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, { json: SUPERVISOR })
  const devices = () =>
    api.call('GET', '/api/v1/depot/devices', DepotDevicesResponse, { token: session.supervisorToken })
  const before = await devices()

  // The right QR enrolls the terminal in one scan: it goes on to the courier's login.
  const right = await browserSeeing('right', enrollmentQrContent(latest))
  try {
    const page = await terminalPage(right, terminal.url, 'zh-CN', TERMINAL_SIZES[0])
    for (const size of TERMINAL_SIZES) {
      await page.setViewportSize(size)
      await shot(page, 'enroll-setup', 'zh-CN', { targets: true })
    }
    await page.getByTestId('enroll-scan').click()
    // The first open reads it (about one code in twenty never read with the camera's old decoder:
    // src-renderer/terminal/scan/camera-frames.node.test.ts).
    const login = page.getByTestId('login-screen')
    await expect(login).toBeVisible({ timeout: 20_000 })
    for (const size of TERMINAL_SIZES) {
      await page.setViewportSize(size)
      await shot(page, 'enroll-scanned-login', 'zh-CN')
    }
    const english = await terminalPage(right, terminal.url, 'en', TERMINAL_SIZES[0])
    await expect(english.getByTestId('login-screen')).toBeVisible()
  } finally {
    await right.close()
  }
  const after = await devices()
  expect(after.devices.length).toBe(before.devices.length + 1)
  // The code is used up: typing it again is refused.
  const again = await api.raw('POST', '/api/v1/devices/enroll', { json: { code: latest } })
  expect(again.status).toBe(401)
})

test('a retired terminal says so at once and keeps what it had not sent; the dashboard keeps it listed', async ({
  browser,
}) => {
  test.setTimeout(180_000)
  const courier = await terminalPage(browser, terminal.url, 'zh-CN')
  const hands = new Courier(courier)
  await hands.startShift(sandbox.enrollmentCode)
  const id = new DeviceRecords(terminal.dir).deviceId()
  const sync = courier.getByTestId('sync-status')
  await expect(sync).toHaveAttribute('data-all-sent', 'yes', { timeout: 20_000 })

  // Out of coverage, the courier delivers two prepaid parcels: recorded on the device, not yet sent.
  link.setMode('offline')
  const prepaid = demoRoute(sandbox.routeDate)
    .filter((order) => order.codFen === 0 && order.barcodes.length === 1)
    .slice(0, 2)
  for (const order of prepaid) {
    await hands.scan(order.barcodes[0]!)
    await expect(courier.getByTestId('delivery-done')).toContainText(order.waybill)
  }
  await expect(sync).toHaveAttribute('data-pending', /^[1-9]\d*$/)
  const unsent = new DeviceRecords(terminal.dir).outbox().filter((event) => event.state === 'pending')
  expect(unsent.length).toBeGreaterThanOrEqual(2)

  const boss = await dashboard(browser, sandbox.url, 'zh-CN')
  await expect(boss.locator(`[data-testid="device-row"][data-device-id="${id}"]`)).toHaveAttribute('data-retired', 'no')
  const labels = await boss.locator('[data-testid="device-row"]').allInnerTexts()
  for (const size of DASHBOARD_SIZES) {
    await boss.setViewportSize(size)
    await lookAtDashboard(boss, 'devices', 'zh-CN', labels)
  }

  await boss.locator(`[data-testid="device-retire"][data-device-id="${id}"]`).click()
  await expect(boss.getByTestId('device-retire-dialog')).toBeVisible()
  await lookAtDashboard(boss, 'device-retire-confirm', 'zh-CN', labels)
  await boss.getByTestId('device-retire-confirm').click()
  await expect(boss.locator(`[data-testid="device-retired"][data-device-id="${id}"]`)).toContainText('张伟')
  await expect(boss.locator(`[data-testid="device-retire"][data-device-id="${id}"]`)).toHaveCount(0)

  // Coverage back: its next call is refused with the reason, and it says so, with who and when.
  link.setMode('online')
  const retired = courier.getByTestId('device-retired')
  await expect(retired).toBeVisible({ timeout: 30_000 })
  await expect(courier.getByTestId('device-retired-reason')).toContainText('张伟')
  // What it had not sent is kept on it and counted on its screen, and the backend took none of it.
  await expect(retired).toHaveAttribute('data-pending', String(unsent.length))
  await expect(courier.getByTestId('device-retired-pending')).toBeVisible()
  const kept = new DeviceRecords(terminal.dir).outbox().filter((event) => event.state === 'pending')
  expect(kept.map((event) => event.eventId)).toEqual(unsent.map((event) => event.eventId))
  const held = new BackendRecords(sandbox.dbFile).deviceEvents(id).map((event) => event.eventId)
  expect(held.filter((eventId) => unsent.some((event) => event.eventId === eventId))).toEqual([])
  for (const size of TERMINAL_SIZES) {
    await courier.setViewportSize(size)
    await shot(courier, 'device-retired', 'zh-CN')
  }
  const english = await terminalPage(browser, terminal.url, 'en')
  await expect(english.getByTestId('device-retired-reason')).toContainText('retired this terminal')
  await expect(english.getByTestId('device-retired-pending')).toContainText(`${unsent.length} records`)
  for (const size of TERMINAL_SIZES) {
    await english.setViewportSize(size)
    await shot(english, 'device-retired', 'en')
  }

  for (const locale of LOCALES) {
    if (locale === 'en') await boss.getByTestId('depot-lang-en').click()
    for (const size of DASHBOARD_SIZES) {
      await boss.setViewportSize(size)
      await lookAtDashboard(boss, 'devices-retired', locale, labels)
    }
  }
})
