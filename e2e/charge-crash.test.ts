import { afterEach, describe, expect, it } from 'vitest'
import { spawnBackend, type SpawnedBackend } from '../backend/testing'
import { killCoreProcesses, startCoreProcess, type ChildLine, type CoreProcess } from './support/core-process'
import { DeviceRecords } from './support/device-records'
import { QUICK_SYNC, startFieldDevice } from './support/field-device'
import { setWallet, typeWalletPin } from './support/sandbox'

/**
 * kill -9 of the device core while a charge of the customer's payment code waits for their PIN ("user paying"):
 * the core starts again on the same data folder, picks the charge up, and its end (paid, or revoked when the
 * customer never types the PIN) reaches the screen once, with the payment recorded once. The backend is a real
 * process with the sandbox acquirer; it revokes an unpaid charge after 5 s here instead of 60 s.
 */

let backend: SpawnedBackend | null = null
afterEach(async () => {
  await killCoreProcesses()
  await backend?.stop('SIGKILL')
  backend = null
})

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
type ChargeLine = Extract<ChildLine, { t: 'charge' }>
const isCharge = (line: ChildLine): line is ChargeLine => line.t === 'charge'

/** Scans every parcel of the route's first COD order and charges the wallet's code for it: "user paying". */
async function chargeWaitingForPin(core: CoreProcess, walletId: string) {
  const route = await core.call('getRoute', {})
  const summary = route.stops.flatMap((stop) => stop.orders).find((o) => o.codFen > 0 && o.status === 'pending')!
  const order = await core.call('getOrder', { orderId: summary.orderId })
  for (const parcel of order.parcels) await core.call('scanBarcode', { code: parcel.barcode, source: 'wedge' })
  const code = (await setWallet(backend!.url, walletId, { pin: '246810' })).paymentCode.code
  const charge = await core.call('chargePaymentCode', { orderId: order.orderId, code, source: 'camera' })
  expect(charge).toMatchObject({ state: 'user_paying', orderId: order.orderId })
  return charge
}

describe('kill -9 of the device core mid-charge', () => {
  it('resumes a charge waiting for the PIN; the PIN typed while it was down: Paid, once', async () => {
    backend = await spawnBackend({ sandbox: true, seed: 'demo', env: { TUOTOU_CHARGE_QUERY_FOR_MS: '20000' } })
    const { core: first, dataDir } = await startFieldDevice(backend)
    const charge = await chargeWaitingForPin(first, 'wallet-crash-paid')
    await first.kill('SIGKILL')
    await typeWalletPin(backend.url, 'wallet-crash-paid', '246810')

    const second = await startCoreProcess({ dataDir, backendUrl: backend.url, sync: QUICK_SYNC })
    await second.waitFor((line) => isCharge(line) && line.state === 'paid', 15_000)
    // The stream's replay and the resumed poll both say "paid": the screen is told once, and nothing after.
    await sleep(2_000)
    const told = second.lines.filter(isCharge).filter((line) => line.orderId === charge.orderId)
    expect(told.map((line) => line.state)).toEqual(['paid'])
    expect(await second.call('getCharge', { orderId: charge.orderId })).toMatchObject({ state: 'paid' })
    expect(await second.call('getOrder', { orderId: charge.orderId })).toMatchObject({
      status: 'delivered',
      method: 'digital',
      collectedFen: charge.amountFen,
    })
    const confirmed = new DeviceRecords(dataDir).outbox().filter((event) => event.type === 'payment.confirmed')
    expect(confirmed).toHaveLength(1)
  }, 60_000)

  it('resumes a charge waiting for the PIN that never comes: revoked at the deadline, once, the order still open', async () => {
    backend = await spawnBackend({ sandbox: true, seed: 'demo', env: { TUOTOU_CHARGE_QUERY_FOR_MS: '5000' } })
    const { core: first, dataDir } = await startFieldDevice(backend)
    const charge = await chargeWaitingForPin(first, 'wallet-crash-revoked')
    await first.kill('SIGKILL')

    const second = await startCoreProcess({ dataDir, backendUrl: backend.url, sync: QUICK_SYNC })
    await second.waitFor((line) => isCharge(line) && line.state === 'revoked', 30_000)
    await sleep(2_000)
    const told = second.lines.filter(isCharge).filter((line) => line.orderId === charge.orderId)
    expect(told.filter((line) => line.state === 'revoked')).toHaveLength(1)
    expect(told.at(-1)?.state).toBe('revoked')
    expect(await second.call('getOrder', { orderId: charge.orderId })).toMatchObject({ status: 'pending' })
    expect(new DeviceRecords(dataDir).outbox().filter((event) => event.type === 'payment.confirmed')).toEqual([])
  }, 60_000)
})
