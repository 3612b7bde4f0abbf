import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from './support/fixtures'

const SHOTS = join(import.meta.dirname, '.artifacts', 'screens')
mkdirSync(SHOTS, { recursive: true })

test('the terminal opens through the browser host and finds its backend', async ({ page, terminal }) => {
  await page.goto(terminal.url)
  await expect(page.getByTestId('setup-screen')).toBeVisible()
  await expect(page.getByTestId('host-banner')).toBeVisible()
  await expect(page.getByTestId('backend-status')).toHaveText(/已连接/)
  await expect(page.getByTestId('device-info')).toContainText(terminal.dir)
  await page.screenshot({ path: join(SHOTS, 'setup-zh-CN-480x854.png'), fullPage: true })
})

test('the language switches to English and stays switched after a reload', async ({ page, terminal }) => {
  await page.goto(terminal.url)
  await page.getByTestId('language-en').click()
  await expect(page.getByRole('heading', { name: 'Set up this terminal' })).toBeVisible()
  await expect(page.getByTestId('backend-status')).toHaveText(/Connected/)
  await page.screenshot({ path: join(SHOTS, 'setup-en-480x854.png'), fullPage: true })
  await page.reload()
  await expect(page.getByRole('heading', { name: 'Set up this terminal' })).toBeVisible()
})

test('a page without the token cannot reach the core', async ({ page, terminal }) => {
  const origin = new URL(terminal.url).origin
  await page.goto(`${origin}/terminal/`)
  await expect(page.getByText(/无权访问终端|not allowed to talk to the terminal/)).toBeVisible()
})

test('an unreachable backend is shown as such, and a corrected address connects', async ({
  page,
  terminal,
  backend,
}) => {
  await page.goto(terminal.url)
  const field = page.getByTestId('backend-url').locator('input')
  await field.fill('http://127.0.0.1:9')
  await page.getByTestId('backend-check').click()
  await expect(page.getByTestId('backend-status')).toHaveText(/无法连接/)
  await field.fill(backend.url)
  await page.getByTestId('backend-check').click()
  await expect(page.getByTestId('backend-status')).toHaveText(/已连接/)
})

test('the layout works at 720×1280 too', async ({ page, terminal }) => {
  await page.setViewportSize({ width: 720, height: 1280 })
  await page.goto(terminal.url)
  await expect(page.getByTestId('setup-screen')).toBeVisible()
  await page.screenshot({ path: join(SHOTS, 'setup-zh-CN-720x1280.png') })
})

test('a message already on screen follows a change of language', async ({ page, terminal }) => {
  await page.goto(terminal.url)
  await page.getByTestId('enroll-code').fill('OOOO0000')
  await page.getByTestId('enroll-submit').click()
  await expect(page.getByText('登记码为 8 位字母和数字。')).toBeVisible()
  await page.getByTestId('language-en').click()
  await expect(page.getByText('An enrollment code is 8 letters and digits.')).toBeVisible()
  await expect(page.getByText('登记码为 8 位字母和数字。')).toHaveCount(0)
})
