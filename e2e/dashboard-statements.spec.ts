import { join } from 'node:path'
import Database from 'better-sqlite3'
import { test as base, expect, type Page } from '@playwright/test'
import { SupervisorLoginResponse } from '../shared/api/depot'
import { CreateEnrollmentCodeResponse } from '../shared/api/device'
import { BackendApi, EventWriter } from '../backend/testing/api'
import { readStatement, writeStatement } from '../backend/statements/format'
import { statementFee } from '../backend/statements/fees'
import { startBackend, type Running } from './support/processes'
import { expectNothingClipped, SHOTS } from './support/screens'

const SUPERVISOR = { login: 'zhang.wei', password: 'tuotou-demo' }

interface Depot {
  backend: Running & { url: string; dir: string }
  api: BackendApi
  supervisorToken: string
  merchantKey: string
}

/** The demo backend (a real process with the sandbox acquirer), its supervisor, and the merchant's statement key. */
const test = base.extend<{ depot: Depot }>({
  // eslint-disable-next-line no-empty-pattern
  depot: async ({}, use) => {
    const backend = await startBackend(['--sandbox', '--seed', 'demo'])
    const api = new BackendApi(backend.url)
    const session = await api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, { json: SUPERVISOR })
    const sandbox = new Database(join(backend.dir, 'backend.acquirer.sqlite'), { readonly: true, fileMustExist: true })
    const { api_key: merchantKey } = sandbox.prepare('select api_key from identity').get() as { api_key: string }
    sandbox.close()
    await use({ backend, api, supervisorToken: session.supervisorToken, merchantKey })
    await backend.stop()
  },
})

test.use({ locale: 'zh-CN' })

/** English words on the Chinese page: three letters or more that are not part of an ID. */
async function englishOn(page: Page): Promise<string[]> {
  const text = await page.locator('body').innerText()
  return [...text.matchAll(/(?<![\w-])[A-Za-z]{3,}(?![\w-])/g)]
    .map((m) => m[0])
    .filter((word) => !['CSV', 'English'].includes(word))
}

async function look(page: Page, name: string, locale: 'zh-CN' | 'en'): Promise<void> {
  await page.getByTestId(locale === 'en' ? 'depot-lang-en' : 'depot-lang-zh').click()
  await expect(page.locator('html')).toHaveAttribute('lang', locale)
  const size = page.viewportSize()!
  await expectNothingClipped(
    page,
    '.el-table__body-wrapper .el-scrollbar__wrap, [data-testid^="money-"]',
    `${name} ${size.width}`,
  )
  if (locale === 'zh-CN') expect(await englishOn(page), `${name}: English on the Chinese page`).toEqual([])
  await page.screenshot({
    path: join(SHOTS, `dashboard-${name}-${locale}-${size.width}x${size.height}.png`),
    animations: 'disabled',
    fullPage: true,
  })
}

/**
 * A courier's day through the backend's API: one order paid by QR and delivered digitally, one paid by QR and
 * then in cash as well (paid twice: a refund due), one "paid, to be verified" the acquirer never had (owed).
 */
async function dayOfMoney(depot: Depot) {
  const { code } = await depot.api.call('POST', '/api/v1/depot/enrollment-codes', CreateEnrollmentCodeResponse, {
    token: depot.supervisorToken,
  })
  const device = await depot.api.enroll(code, 'Handheld S')
  const shift = await depot.api.login(device.deviceToken, 'SZ1001', '1234')
  const manifest = await depot.api.manifest(shift.shiftToken, shift.shiftId)
  const cod = manifest.stops.flatMap((stop) => stop.orders).filter((o) => o.codFen > 0 && o.intent)
  const [digital, twice, unverified] = cod.filter((o) => o.codFen <= 50_000) as [
    (typeof cod)[number],
    (typeof cod)[number],
    (typeof cod)[number],
  ]
  const events = new EventWriter(shift.shiftId)
  const first = await depot.api.pay(digital.intent!.qrPayload)
  const second = await depot.api.pay(twice.intent!.qrPayload)
  const completed = (order: typeof digital, method: 'digital' | 'cash', at?: string) =>
    events.next(
      {
        type: 'delivery.completed',
        payload: {
          orderId: order.orderId,
          attempt: 1,
          method,
          dueFen: order.codFen,
          collectedFen: order.codFen,
          intentId: method === 'digital' ? order.intent!.intentId : null,
        },
      },
      at,
    )
  await depot.api.push(device.deviceToken, device.deviceId, [
    events.next({
      type: 'payment.confirmed',
      payload: {
        orderId: digital.orderId,
        intentId: digital.intent!.intentId,
        amountFen: digital.codFen,
        via: 'push',
        transactionId: first.transactionId,
        paidAt: first.paidAt,
        receipt: null,
      },
    }),
    completed(digital, 'digital'),
    completed(twice, 'cash', new Date(Date.parse(second.paidAt) + 1_000).toISOString()),
    events.next({
      type: 'payment.unverified',
      payload: { orderId: unverified.orderId, intentId: unverified.intent!.intentId, amountFen: unverified.codFen },
    }),
    completed(unverified, 'digital'),
  ])
  return { digital, twice, unverified, first, second }
}

for (const viewport of [
  { width: 1440, height: 900 },
  { width: 1024, height: 768 },
]) {
  test(`money tells the truth and a statement is imported once, refused with its line, and matched three ways (${viewport.width}x${viewport.height})`, async ({
    page,
    depot,
  }) => {
    test.setTimeout(180_000)
    await page.setViewportSize(viewport)
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    const { digital, twice, unverified, first, second } = await dayOfMoney(depot)
    const date = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)

    await page.goto(`${depot.backend.url}/depot`)
    await page.getByTestId('depot-login').fill(SUPERVISOR.login)
    await page.getByTestId('depot-password').fill(SUPERVISOR.password)
    await page.getByTestId('depot-login-submit').click()
    await page.getByTestId('tab-money').click()

    // Confirmed digital (both QR payments, the second one until it is refunded) and cash; owed, never collected.
    const collected = digital.codFen + twice.codFen + twice.codFen
    await expect(page.getByTestId('money-owed')).toHaveAttribute('data-value', String(unverified.codFen), {
      timeout: 20_000,
    })
    await expect(page.getByTestId('money-collected')).toHaveAttribute('data-value', String(collected))
    await expect(page.getByTestId('money-refunds-due')).toHaveAttribute('data-value', String(twice.codFen))
    await expect(page.getByTestId('money-net')).toHaveAttribute('data-value', String(collected))
    await expect(page.getByTestId('statements-panel')).toHaveAttribute('data-matched', 'no')

    // The acquirer's own statement: everything agrees, and the same file again changes nothing.
    const csv = await depot.api.merchant(depot.merchantKey).statement(date)
    const upload = (name: string, text: string) =>
      page.getByTestId('statement-file').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) })
    await upload(`statement-${date}.csv`, csv)
    await expect(page.getByTestId('statement-result')).toHaveAttribute('data-imported', 'yes')
    await expect(page.getByTestId('statement-summary')).toHaveAttribute('data-agreed', '2')
    await expect(page.getByTestId('statement-summary')).toHaveAttribute('data-count', '0')
    await look(page, 'money', 'zh-CN')
    await look(page, 'money', 'en')
    await upload(`statement-${date}.csv`, csv)
    await expect(page.getByTestId('statement-result')).toHaveAttribute('data-imported', 'no')

    // Tampered after the acquirer wrote it: refused at the header's checksum; malformed: refused at its line.
    const lines = csv.split('\n')
    const at = lines.findIndex((l) => l.startsWith(first.transactionId))
    await upload(
      'tampered.csv',
      csv.replace(
        `${first.transactionId},${digital.intent!.intentId},`,
        `${first.transactionId},${twice.intent!.intentId},`,
      ),
    )
    await expect(page.getByTestId('statement-error')).toHaveAttribute('data-line', '1')
    await upload('broken.csv', lines.map((l, i) => (i === at ? l.replace(/,payment$/, ',chargeback') : l)).join('\n'))
    await expect(page.getByTestId('statement-error')).toHaveAttribute('data-line', String(at + 1))
    await look(page, 'statement-refused', 'en')
    await look(page, 'statement-refused', 'zh-CN')
    await expect(page.getByTestId('statement-summary')).toHaveAttribute('data-agreed', '2')

    // A statement (signed by the acquirer) that disagrees: a fee off, the second payment missing, one unknown.
    const real = readStatement(csv, depot.merchantKey)
    const paidFirst = real.lines.find((l) => l.transactionId === first.transactionId)!
    const edited = writeStatement(
      {
        merchantId: real.merchantId,
        date,
        lines: [
          ...real.lines.filter(
            (l) => l.transactionId !== first.transactionId && l.transactionId !== second.transactionId,
          ),
          { ...paidFirst, feeFen: statementFee(paidFirst.amountFen, 6) + 1 },
          { ...paidFirst, transactionId: 'tx_acquirerOnly0001', intentId: 'pi_nobodyKnowsThis01' },
        ],
      },
      depot.merchantKey,
    )
    await upload('disagrees.csv', edited)
    await expect(page.getByTestId('statement-result')).toHaveAttribute('data-imported', 'yes')
    const kinds = page.getByTestId('statement-mismatch')
    await expect(kinds).toHaveCount(3)
    await expect(page.locator('[data-testid="statement-mismatch"][data-kind="missing_in_backend"]')).toHaveAttribute(
      'data-transaction-id',
      'tx_acquirerOnly0001',
    )
    await expect(page.locator('[data-testid="statement-mismatch"][data-kind="missing_in_statement"]')).toHaveAttribute(
      'data-transaction-id',
      second.transactionId,
    )
    await expect(page.locator('[data-testid="statement-mismatch"][data-kind="fee_differs"]')).toHaveAttribute(
      'data-transaction-id',
      first.transactionId,
    )
    await look(page, 'statement-mismatches', 'zh-CN')
    await look(page, 'statement-mismatches', 'en')
    expect(errors).toEqual([])
  })
}
