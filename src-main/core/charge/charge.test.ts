import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SandboxWallet, SandboxWalletSettings, WALLET_LIMITS } from '../../../shared/api/sandbox'
import type { ChargeView } from '../../../shared/ipc/contract'
import { startTestBackend, type TestBackend } from '../../../backend/testing/backend'
import { createCourierWithRoute } from '../../../backend/testing/fixtures'
import { createDeviceCore, type DeviceCore } from '..'
import { FAST_SYNC, until } from '../testing/device'

/**
 * The customer's payment code (付款码) charged through the real backend and its sandbox acquirer (real HTTP, real
 * SQLite files on both sides): the device core as the terminal drives it, the wallet set up as the customer's.
 */
let server: TestBackend
beforeAll(async () => {
  server = await startTestBackend({})
})
afterAll(async () => server?.stop())

async function wallet(walletId: string, settings: Partial<SandboxWalletSettings>): Promise<SandboxWallet> {
  const res = await fetch(`${server.url}/sandbox/acquirer/wallets/${walletId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(SandboxWalletSettings.parse(settings)),
  })
  expect(res.status).toBe(200)
  return SandboxWallet.parse(await res.json())
}

/** A courier on a device core of their own, logged in with the route on the device. */
async function courierWith(
  codFens: number[],
): Promise<{ core: DeviceCore; orders: { orderId: string; barcode: string }[] }> {
  const fixture = await createCourierWithRoute(server.db, { orders: codFens.map((codFen) => ({ codFen })) })
  const core = createDeviceCore({
    dataDir: mkdtempSync(join(tmpdir(), 'tuotou-charge-')),
    host: 'browser',
    version: '0.0.0-test',
    backendUrl: server.url,
    sync: FAST_SYNC,
  })
  cores.push(core)
  await core.handlers.enrollDevice({ code: fixture.enrollmentCode })
  await core.handlers.login({ staffId: fixture.staffId, pin: fixture.pin })
  await core.handlers.downloadManifest({})
  return {
    core,
    orders: fixture.orders.map((order) => ({ orderId: order.orderId, barcode: order.parcels[0]!.barcode })),
  }
}
const cores: DeviceCore[] = []
afterAll(() => cores.forEach((core) => core.close()))

/** The courier scans the parcel, then the customer's current code; answers the charge as the core ends it. */
async function charge(core: DeviceCore, order: { orderId: string; barcode: string }, walletId: string) {
  await core.handlers.scanBarcode({ code: order.barcode, source: 'wedge' })
  const { paymentCode } = await walletNow(walletId)
  await core.handlers.chargePaymentCode({ orderId: order.orderId, code: paymentCode.code, source: 'camera' })
  const ended = async (): Promise<ChargeView | null> => {
    const view = await core.handlers.getCharge({ orderId: order.orderId })
    return view && ['paid', 'failed', 'revoked'].includes(view.state) ? view : null
  }
  await until(async () => (await ended()) !== null, 'the charge to end', 10_000)
  return (await ended())!
}

/** The wallet as its page shows it, with its current single-use code. */
async function walletNow(walletId: string): Promise<SandboxWallet> {
  const res = await fetch(`${server.url}/sandbox/acquirer/wallets/${walletId}`)
  expect(res.status).toBe(200)
  return SandboxWallet.parse(await res.json())
}

describe("charging the customer's payment code", () => {
  it('refuses a payment over the wallet’s per-day limit with limit_per_day and the limit, after payments within it', async () => {
    // Tier 4: at most ¥2,000 a payment and ¥5,000 a day. Each order passes the first; the third passes the day's.
    const { perPaymentFen, perDayFen } = WALLET_LIMITS.tier4
    const amount = 1_900_00
    expect(amount).toBeLessThan(perPaymentFen!)
    expect(3 * amount).toBeGreaterThan(perDayFen!)
    await wallet('wallet-perday', { tier: 'tier4' })
    const { core, orders } = await courierWith([amount, amount, amount])

    expect(await charge(core, orders[0]!, 'wallet-perday')).toMatchObject({ state: 'paid', failure: null })
    expect(await charge(core, orders[1]!, 'wallet-perday')).toMatchObject({ state: 'paid', failure: null })
    const refused = await charge(core, orders[2]!, 'wallet-perday')
    expect(refused).toMatchObject({ state: 'failed', failure: 'limit_per_day', limitFen: perDayFen, amountFen: amount })
    // Nothing was taken for it: the order is still to collect (cash, or another wallet), and the day's spend stands.
    expect(await core.handlers.getOrder({ orderId: orders[2]!.orderId })).toMatchObject({ status: 'pending' })
    expect((await walletNow('wallet-perday')).spentTodayFen).toBe(2 * amount)
    expect((await core.handlers.getShiftSummary({})).money).toMatchObject({
      digitalConfirmedFen: 2 * amount,
      digitalConfirmedCount: 2,
    })
  })

  it('refuses a payment over the per-payment limit with limit_per_payment, before any day’s limit', async () => {
    await wallet('wallet-perpay', { tier: 'tier4' })
    const { core, orders } = await courierWith([2_100_00])
    expect(await charge(core, orders[0]!, 'wallet-perpay')).toMatchObject({
      state: 'failed',
      failure: 'limit_per_payment',
      limitFen: WALLET_LIMITS.tier4.perPaymentFen,
    })
  })
})
