import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { test as base, expect } from '@playwright/test'
import QRCode from 'qrcode'
import { BackendApi } from '../backend/testing/api'
import { parseReceiptToken } from '../shared/receipt'
import { startBackend, tempDir, type Running } from './support/processes'

const SHOTS = join(import.meta.dirname, '.artifacts', 'screens')
mkdirSync(SHOTS, { recursive: true })

interface Payable {
  url: string
  /** The first COD orders of the demo route, with their collection QR payloads. */
  orders: { waybill: string; codFen: number; qrPayload: string }[]
}

/** A backend with the sandbox acquirer and the demo seed, a device enrolled and the first courier logged in. */
const test = base.extend<{ backend: Running & { url: string }; payable: Payable }>({
  // eslint-disable-next-line no-empty-pattern
  backend: async ({}, use) => {
    const backend = await startBackend(['--sandbox', '--seed', 'demo'])
    await use(backend)
    await backend.stop()
  },
  payable: async ({ backend }, use) => {
    const code = backend.output.map((line) => /^Enrollment code: (\w+)/.exec(line)?.[1]).find(Boolean)!
    const api = new BackendApi(backend.url)
    const device = await api.enroll(code)
    const shift = await api.login(device.deviceToken, 'SZ1001', '1234')
    const manifest = await api.manifest(shift.shiftToken, shift.shiftId)
    const orders = manifest.stops
      .flatMap((stop) => stop.orders)
      .filter((order) => order.intent)
      .map((order) => ({ waybill: order.waybill, codFen: order.codFen, qrPayload: order.intent!.qrPayload }))
    await use({ url: backend.url, orders })
  },
})

test('the wallet reads a pasted code, shows merchant, amount and waybill, pays, and shows the receipt QR', async ({
  page,
  payable,
}) => {
  const foreign: string[] = []
  page.on('request', (request) => {
    const url = request.url()
    if (!url.startsWith(payable.url) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url)
  })
  const order = payable.orders[0]!
  await page.goto(`${payable.url}/sandbox/wallet`)
  await expect(page.getByRole('heading', { name: '扫描收款码' })).toBeVisible()
  await page.getByTestId('wallet-payload').fill(order.qrPayload)
  await page.getByTestId('wallet-read').click()
  await expect(page.getByTestId('wallet-merchant')).toContainText('JD Logistics Xiangcheng')
  await expect(page.getByTestId('wallet-amount')).toContainText('¥66.60')
  await expect(page.getByTestId('wallet-waybill')).toContainText(order.waybill)
  await expect(page.getByTestId('wallet-status')).toContainText('待付款')
  await page.screenshot({ path: join(SHOTS, 'wallet-order-zh-CN-480x854.png'), fullPage: true })

  await page.getByTestId('wallet-pay').click()
  await expect(page.getByTestId('wallet-receipt-qr')).toBeVisible()
  await expect(page.getByTestId('wallet-receipt')).toContainText('支付成功')
  const token = await page.getByTestId('wallet-receipt-token').inputValue()
  expect(parseReceiptToken(token).receipt.amountFen).toBe(6660)
  await page.screenshot({ path: join(SHOTS, 'wallet-receipt-zh-CN-480x854.png'), fullPage: true })

  await page.getByTestId('wallet-lang-en').click()
  await expect(page.getByTestId('wallet-receipt')).toContainText('Paid')
  await expect(page.getByText('Show this receipt QR to the courier')).toBeVisible()
  await page.screenshot({ path: join(SHOTS, 'wallet-receipt-en-480x854.png'), fullPage: true })
  expect(foreign).toEqual([])
})

test('the wallet reads an uploaded screenshot with zxing served from the backend itself', async ({ page, payable }) => {
  const order = payable.orders[1]!
  const picture = join(tempDir('wallet'), 'collection-qr.png')
  await QRCode.toFile(picture, order.qrPayload, { width: 360, margin: 4 })
  const wasm: string[] = []
  page.on('request', (request) => {
    if (request.url().endsWith('.wasm')) wasm.push(request.url())
  })
  await page.goto(`${payable.url}/sandbox/wallet/`)
  await page.getByTestId('wallet-lang-en').click()
  await page.getByTestId('wallet-upload').setInputFiles(picture)
  await expect(page.getByTestId('wallet-waybill')).toContainText(order.waybill)
  await expect(page.getByTestId('wallet-status')).toContainText('Awaiting payment')
  // The reader, once; the payment code's writer may load too. Every one from the backend itself.
  expect(wasm.filter((url) => /\/zxing_reader-[^/]*\.wasm$/.test(url))).toHaveLength(1)
  expect(wasm.filter((url) => !url.startsWith(`${payable.url}/sandbox/assets/`))).toEqual([])
  await page.screenshot({ path: join(SHOTS, 'wallet-order-en-480x854.png'), fullPage: true })
})

test('the wallet says so when a code was tampered with, or the order is already paid', async ({ page, payable }) => {
  const order = payable.orders[2]!
  await page.goto(`${payable.url}/sandbox/wallet/`)
  const tampered = order.qrPayload
    .replace(/54(\d\d)/, (_match, length: string) => `54${length}`)
    .replace(/.$/, (c) => (c === '0' ? '1' : '0'))
  await page.getByTestId('wallet-payload').fill(tampered)
  await page.getByTestId('wallet-read').click()
  await expect(page.getByTestId('wallet-error')).toContainText('收款码校验失败')
  await expect(page.getByTestId('wallet-order')).toHaveCount(0)

  await new BackendApi(payable.url).pay(order.qrPayload, 'someone-else')
  await page.getByTestId('wallet-payload').fill(order.qrPayload)
  await page.getByTestId('wallet-read').click()
  await expect(page.getByTestId('wallet-status')).toContainText('已付款')
  await expect(page.getByTestId('wallet-pay')).toBeDisabled()
  await page.screenshot({ path: join(SHOTS, 'wallet-already-paid-zh-CN-480x854.png'), fullPage: true })
})
