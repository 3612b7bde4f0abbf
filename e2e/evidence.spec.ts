import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { MAX_EVIDENCE_BYTES, PHOTO_LONG_SIDE_PX } from '../shared/api/evidence'
import { SupervisorLoginResponse } from '../shared/api/depot'
import { ProofsResponse, type ProofRules } from '../shared/api/proof'
import { CHROMIUM_FLAGS, findChromium } from '../scripts/launch'
import { BackendRecords } from './support/backend-records'
import { Courier } from './support/courier'
import { pickOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { payQr } from './support/sandbox'
import { shotBoth } from './support/screens'

/**
 * Photo and signature evidence (issue 14) through the real renderer, core and backend: Chromium's fake camera
 * gives the photo, the mouse draws the signature; each file is stored on the device, bound by SHA-256 in its
 * event, uploaded after it, verified by the backend, deleted from the device, and shown to the depot.
 */

// Chromium's own fake camera (a moving test pattern) at a full-HD size, so compression has work to do.
test.use({
  launchOptions: {
    executablePath: findChromium() ?? undefined,
    args: [...CHROMIUM_FLAGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  },
  permissions: ['camera'],
})

const RULES: ProofRules = {
  valueOverFen: 10_000,
  valueProof: ['signature'],
  unattendedPhoto: true,
  familySignature: false,
  notHomePhoto: false,
  notHomeCall: false,
}

async function supervisorToken(backendUrl: string): Promise<string> {
  const res = await fetch(`${backendUrl}/api/v1/depot/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'zhang.wei', password: 'tuotou-demo' }),
  })
  return SupervisorLoginResponse.parse(await res.json()).supervisorToken
}

/** A JPEG's pixel size, from its start-of-frame segment. */
function jpegSize(bytes: Buffer): { width: number; height: number } {
  let at = 2
  while (at < bytes.length) {
    const marker = bytes[at + 1]!
    const length = bytes.readUInt16BE(at + 2)
    if (marker >= 0xc0 && marker <= 0xc3)
      return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) }
    at += 2 + length
  }
  throw new Error('no start-of-frame segment')
}

test('a photo and a signature meet the policy, go up after their events, verified, and leave the device', async ({
  page,
  sandbox,
  fieldTerminal,
  route,
}) => {
  test.setTimeout(180_000)
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

  // Left at the door: a photo.
  await courier.scan(cheap.barcodes[0]!)
  await courier.tap('handover-door')
  await expect(courier.byId('proof-required')).toHaveAttribute('data-kind', 'photo')
  await expect(courier.byId('pay-cash')).toBeDisabled()
  await courier.byId('proof-photo-take').scrollIntoViewIfNeeded()
  await shotBoth(page, fieldTerminal.url, 'proof-photo-required', { targets: true })
  await courier.tap('proof-photo-take')
  await expect(courier.byId('proof-photo-camera')).toBeVisible()
  // The fake camera's frames are playing before the shutter is pressed.
  await expect
    .poll(() =>
      page.evaluate<number>(`document.querySelector('[data-testid="proof-photo-camera"] video')?.videoWidth ?? 0`),
    )
    .toBeGreaterThan(0)
  await shotBoth(page, fieldTerminal.url, 'proof-photo-camera', { targets: true })
  await courier.tap('proof-photo-shutter')
  await expect(courier.byId('proof-photo-camera')).toBeHidden()
  await expect(courier.byId('proof-met')).toBeVisible()
  await expect(courier.byId('proof-photo-take')).toHaveAttribute('data-taken', 'yes')
  await expect(courier.byId('pay-cash')).toBeEnabled()
  await courier.byId('pay-cash').scrollIntoViewIfNeeded()
  await shotBoth(page, fieldTerminal.url, 'proof-photo-taken', { targets: true })
  await courier.tap('pay-cash')
  await courier.tap('cash-confirm')
  await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'cash')

  // Over ¥100 to the recipient: a signature, drawn with the pointer.
  await courier.scan(dear.barcodes[0]!)
  await expect(courier.byId('proof-required')).toHaveAttribute('data-kind', 'signature')
  await courier.tap('proof-signature-open')
  const pad = courier.byId('proof-signature-pad')
  await expect(pad).toBeVisible()
  // The sheet slides up: a box measured mid-slide puts the second stroke below the pad.
  await expect(courier.byId('proof-signature-sheet')).toBeInViewport({ ratio: 1 })
  const box = (await pad.boundingBox())!
  for (const [dx, dy] of [
    [0.15, 0.6],
    [0.45, 0.3],
  ] as const) {
    await page.mouse.move(box.x + box.width * dx, box.y + box.height * dy)
    await page.mouse.down()
    for (let i = 1; i <= 12; i++) {
      await page.mouse.move(box.x + box.width * (dx + i * 0.03), box.y + box.height * (dy + Math.sin(i) * 0.1))
    }
    await page.mouse.up()
  }
  await expect(pad).toHaveAttribute('data-strokes', '2')
  await shotBoth(page, fieldTerminal.url, 'proof-signature-pad', { targets: true })
  await courier.tap('proof-signature-done')
  await expect(courier.byId('proof-signature-sheet')).toBeHidden()
  await expect(courier.byId('proof-met')).toBeVisible()
  await courier.tap('pay-digital')
  await payQr(sandbox.url, await courier.readPaymentQr())
  await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'digital')

  // The backend holds both files, each matching the hash its event bound; the device kept no copy.
  const records = new BackendRecords(sandbox.dbFile)
  const captured = () =>
    [...records.events(cheap.waybill), ...records.events(dear.waybill)]
      .filter((e) => e.type === 'proof.evidence_captured' && e.status === 'applied')
      .map(
        (e) =>
          JSON.parse(e.payload) as {
            evidenceId: string
            kind: string
            sha256: string
            bytes: number
            strokes?: unknown
          },
      )
  await expect.poll(() => captured().length, { timeout: 20_000 }).toBe(2)
  const proofs = async () => {
    const res = await fetch(`${sandbox.url}/api/v1/depot/dashboard/proofs?date=${sandbox.routeDate}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    return ProofsResponse.parse(await res.json())
  }
  await expect
    .poll(async () => (await proofs()).proofs.flatMap((p) => p.evidence.map((e) => e.status)), { timeout: 20_000 })
    .toEqual(['stored', 'stored'])
  for (const event of captured()) {
    const image = await fetch(`${sandbox.url}/api/v1/depot/evidence/${event.evidenceId}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(image.status).toBe(200)
    const bytes = Buffer.from(await image.arrayBuffer())
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(event.sha256)
    expect(bytes.length).toBe(event.bytes)
    expect(bytes.length).toBeLessThanOrEqual(MAX_EVIDENCE_BYTES)
    if (event.kind === 'photo') {
      const size = jpegSize(bytes)
      expect(Math.max(size.width, size.height)).toBeLessThanOrEqual(PHOTO_LONG_SIDE_PX)
      expect(Math.max(size.width, size.height)).toBeGreaterThan(300)
    } else {
      expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG')
      expect((event.strokes as unknown[]).length).toBe(2)
    }
  }
  await expect.poll(() => readdirSync(join(fieldTerminal.dir, 'evidence')).length, { timeout: 10_000 }).toBe(0)

  // The supervisor sees the photo and the signature on the proof tab.
  const view = await proofs()
  const byWaybill = new Map(view.proofs.map((p) => [p.waybill, p]))
  expect(view.totals.withProof).toBe(2)
  const desk = await page.context().newPage()
  await desk.goto(`${sandbox.url}/depot/`)
  await desk.getByTestId('depot-login').fill('zhang.wei')
  await desk.getByTestId('depot-password').fill('tuotou-demo')
  await desk.getByTestId('depot-login-submit').click()
  await desk.getByTestId('tab-proofs').click()
  for (const waybill of [cheap.waybill, dear.waybill]) {
    const record = byWaybill.get(waybill)!
    const image = desk.locator(
      `[data-testid="proof-evidence"][data-evidence-id="${record.evidence[0]!.evidenceId}"] img`,
    )
    await expect(image).toBeVisible()
    await expect
      .poll(() =>
        desk.evaluate<number>(
          `[...document.querySelectorAll('[data-testid="proof-evidence"] img')].filter((i) => i.naturalWidth > 0).length`,
        ),
      )
      .toBeGreaterThan(0)
  }
  const shots = join(import.meta.dirname, '.artifacts', 'screens')
  for (const locale of ['zh-CN', 'en'] as const) {
    if (locale === 'en') await desk.getByTestId('depot-lang-en').click()
    for (const size of [
      { width: 1024, height: 768 },
      { width: 1440, height: 900 },
    ]) {
      await desk.setViewportSize(size)
      await desk.screenshot({
        path: join(shots, `dashboard-evidence-${locale}-${size.width}x${size.height}.png`),
        animations: 'disabled',
        fullPage: true,
      })
    }
  }
  await desk.close()
})
