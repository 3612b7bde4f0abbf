import { join } from 'node:path'
import { ProofsResponse, type ProofRules } from '../shared/api/proof'
import { SupervisorLoginResponse } from '../shared/api/depot'
import { BackendRecords } from './support/backend-records'
import { Courier } from './support/courier'
import { pickOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { payQr } from './support/sandbox'
import { shotBoth } from './support/screens'

/**
 * Proof of delivery (issue 14) through the real renderer, browser host and backend: the depot's rules decide each
 * order's policy, the terminal blocks until the delivery code (checked offline) is right or an override is
 * recorded, and the depot sees both.
 */

const RULES: ProofRules = {
  valueOverFen: 10_000,
  valueProof: ['code', 'signature'],
  unattendedPhoto: true,
  familySignature: false,
  notHomePhoto: true,
  notHomeCall: true,
}

async function supervisorToken(backendUrl: string): Promise<string> {
  const res = await fetch(`${backendUrl}/api/v1/depot/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'zhang.wei', password: 'tuotou-demo' }),
  })
  return SupervisorLoginResponse.parse(await res.json()).supervisorToken
}

async function deliveryCode(backendUrl: string, waybill: string): Promise<string> {
  const res = await fetch(`${backendUrl}/sandbox/sms/messages?waybill=${waybill}`)
  const { messages } = (await res.json()) as { messages: { text: string }[] }
  expect(messages).toHaveLength(1)
  return /签收码 (\d{6})/.exec(messages[0]!.text)![1]!
}

test('a code order is blocked until the right code, at 3 actions plus the digits; an override is recorded', async ({
  page,
  sandbox,
  fieldTerminal,
  route,
}) => {
  const token = await supervisorToken(sandbox.url)
  const set = await fetch(`${sandbox.url}/api/v1/depot/proof/rules`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(RULES),
  })
  expect(set.status).toBe(200)

  await page.goto(fieldTerminal.url)
  const courier = new Courier(page)
  await courier.startShift(sandbox.enrollmentCode)
  const dear = pickOrder(route, 'an order over ¥100', (o) => o.codFen > 10_000 && o.barcodes.length === 1)
  const cheap = pickOrder(
    route,
    'an order up to ¥100',
    (o) => o.codFen > 0 && o.codFen <= 10_000 && o.barcodes.length === 1,
  )
  const code = await deliveryCode(sandbox.url, dear.waybill)

  const before = courier.deliberateActions
  await courier.scan(dear.barcodes[0]!)
  await expect(courier.byId('proof-required')).toHaveAttribute('data-kind', 'code')
  await expect(courier.byId('pay-digital')).toBeDisabled()
  await expect(courier.byId('pay-cash')).toBeDisabled()
  await courier.byId('pay-failed').scrollIntoViewIfNeeded()
  await shotBoth(page, fieldTerminal.url, 'proof-code-required', { targets: true })

  const wrong = code === '000000' ? '000001' : '000000'
  await courier.byId('proof-code-input').fill(wrong)
  await courier.byId('proof-code-submit').click()
  await expect(courier.byId('proof-code-tries')).toHaveAttribute('data-last', 'wrong')
  await expect(courier.byId('proof-code-tries')).toHaveAttribute('data-left', '4')
  await expect(courier.byId('pay-digital')).toBeDisabled()
  await courier.byId('pay-failed').scrollIntoViewIfNeeded()
  await shotBoth(page, fieldTerminal.url, 'proof-code-wrong', { targets: true })

  // The courier's own path, counted (the wrong try above was driven outside the count, as a detour).
  await courier.type('proof-code-input', code)
  await courier.tap('proof-code-submit')
  await expect(courier.byId('proof-met')).toBeVisible()
  await courier.tap('pay-digital')
  const qr = await courier.readPaymentQr()
  await payQr(sandbox.url, qr)
  await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'digital')
  // Scan, check, QR: 3 actions, plus typing the digits.
  expect(courier.deliberateActions - before).toBe(4)

  // A parcel left at the door asks for a photo; the camera is out, so the courier overrides with a reason.
  await courier.scan(cheap.barcodes[0]!)
  await expect(courier.byId('proof-panel')).toBeVisible()
  await expect(courier.byId('proof-required')).toHaveCount(0)
  await courier.tap('handover-door')
  await expect(courier.byId('proof-required')).toHaveAttribute('data-kind', 'photo')
  await expect(courier.byId('pay-cash')).toBeDisabled()
  await courier.tap('proof-override')
  await courier.tap('proof-override-camera_broken')
  await shotBoth(page, fieldTerminal.url, 'proof-override-sheet', { targets: true })
  await courier.tap('proof-override-confirm')
  await expect(courier.byId('proof-met')).toBeVisible()
  await courier.byId('pay-failed').scrollIntoViewIfNeeded()
  await shotBoth(page, fieldTerminal.url, 'proof-overridden', { targets: true })
  await courier.tap('pay-cash')
  await courier.tap('cash-confirm')
  await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'cash')

  // The backend has every try, the handover and the override, and the depot sees them.
  const records = new BackendRecords(sandbox.dbFile)
  await expect
    .poll(() => records.events(dear.waybill).filter((e) => e.type === 'proof.code_checked').length, {
      timeout: 15_000,
    })
    .toBe(2)
  await expect
    .poll(() => records.events(cheap.waybill).some((e) => e.type === 'proof.overridden' && e.status === 'applied'), {
      timeout: 15_000,
    })
    .toBe(true)
  // The handover travels on the completion, which may come in the batch after the override.
  await expect
    .poll(() => records.events(cheap.waybill).some((e) => e.type === 'delivery.completed' && e.status === 'applied'), {
      timeout: 15_000,
    })
    .toBe(true)
  const res = await fetch(`${sandbox.url}/api/v1/depot/dashboard/proofs?date=${sandbox.routeDate}`, {
    headers: { authorization: `Bearer ${token}` },
  })
  const view = ProofsResponse.parse(await res.json())
  const byWaybill = new Map(view.proofs.map((p) => [p.waybill, p]))
  expect(byWaybill.get(dear.waybill)).toMatchObject({ codeVerified: true, codeTries: 2, handover: 'recipient' })
  expect(byWaybill.get(cheap.waybill)).toMatchObject({
    handover: 'door',
    override: { reason: 'camera_broken', waived: ['photo'] },
  })

  // The supervisor's dashboard shows both, at both desk sizes and in both languages.
  const desk = await page.context().newPage()
  await desk.goto(`${sandbox.url}/depot/`)
  await desk.getByTestId('depot-login').fill('zhang.wei')
  await desk.getByTestId('depot-password').fill('tuotou-demo')
  await desk.getByTestId('depot-login-submit').click()
  await desk.getByTestId('tab-proofs').click()
  const row = desk.locator(`[data-testid="proof-view"][data-order-id="${byWaybill.get(dear.waybill)!.orderId}"]`)
  await expect(row).toHaveAttribute('data-code-verified', 'yes')
  await expect(
    desk.locator(`[data-testid="proof-view"][data-order-id="${byWaybill.get(cheap.waybill)!.orderId}"]`),
  ).toHaveAttribute('data-override', 'camera_broken')
  await expect(desk.getByTestId('kpi-proof-overrides')).toHaveAttribute('data-value', '1')
  const shots = join(import.meta.dirname, '.artifacts', 'screens')
  for (const locale of ['zh-CN', 'en'] as const) {
    if (locale === 'en') await desk.getByTestId('depot-lang-en').click()
    for (const size of [
      { width: 1024, height: 768 },
      { width: 1440, height: 900 },
    ]) {
      await desk.setViewportSize(size)
      await desk.screenshot({
        path: join(shots, `dashboard-proofs-${locale}-${size.width}.png`),
        animations: 'disabled',
      })
    }
  }
  await desk.close()
})
