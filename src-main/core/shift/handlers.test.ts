import { afterEach, describe, expect, it } from 'vitest'
import { createIpcDispatcher } from '../ipc'
import { eventsOf, outboxOf, startTestDevice, until, type TestDevice } from '../testing/device'

const devices: TestDevice[] = []
async function device(stage: 'fresh' | 'enrolled' | 'route' = 'route'): Promise<TestDevice> {
  const created = await startTestDevice({ stage })
  devices.push(created)
  return created
}
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close()
})

describe('first run', () => {
  it('enrolls with a supervisor’s code, then a courier logs in and the manifest downloads with progress', async () => {
    const d = await device('fresh')
    expect(await d.core.handlers.getDeviceStatus({})).toMatchObject({ enrolled: false, shift: null })
    // Through the dispatcher, as the renderer calls it: the code is trimmed and upper-cased on arrival.
    const enrolled = await createIpcDispatcher(d.core.handlers)('enrollDevice', { code: ' abcd2345 ' })
    expect(enrolled).toMatchObject({
      ok: true,
      value: { enrolled: true, deviceId: 'dev_test0001', depotName: '相城营业部' },
    })
    const loggedIn = await d.core.handlers.login({ staffId: 'SZ1001', pin: '1234' })
    expect(loggedIn.shift).toMatchObject({ shiftId: 'shf_test0001', courierName: '王师傅', manifestLoaded: false })
    await expect(d.core.handlers.getRoute({})).rejects.toMatchObject({ code: 'manifest.not_loaded' })
    const done = await d.core.handlers.downloadManifest({})
    expect(done).toMatchObject({ phase: 'done', percent: 100, stops: 3, orders: 4 })
    const phases = eventsOf(d, 'manifestProgress').map((p) => p.phase)
    expect(phases[0]).toBe('downloading')
    expect(phases.slice(-2)).toEqual(['storing', 'done'])
    const percents = eventsOf(d, 'manifestProgress').map((p) => p.percent)
    expect([...percents].sort((a, b) => a - b)).toEqual(percents)
    const route = await d.core.handlers.getRoute({})
    expect(route.stops.map((s) => s.sequence)).toEqual([1, 2, 3])
    expect(route.nextStopId).toBe('stp_test0001')
    expect(route.counters).toEqual({ delivered: 0, failed: 0, toGo: 4, digitalFen: 0, cashFen: 0 })
    expect(route.stops[1]).toMatchObject({ codFen: 12_800, parcelCount: 2, status: 'pending' })
  })

  it('refuses a wrong enrollment code and a wrong PIN with the backend’s reason, changing nothing', async () => {
    const d = await device('fresh')
    await expect(d.core.handlers.enrollDevice({ code: 'ZZZZ2345' })).rejects.toMatchObject({
      code: 'enrollment.invalid_code',
    })
    expect((await d.core.handlers.getDeviceStatus({})).enrolled).toBe(false)
    await d.core.handlers.enrollDevice({ code: 'ABCD2345' })
    await expect(d.core.handlers.login({ staffId: 'SZ1001', pin: '9999' })).rejects.toMatchObject({
      code: 'login.bad_credentials',
    })
    expect((await d.core.handlers.getDeviceStatus({})).shift).toBeNull()
  })

  it('keeps the shift and the route across a restart of the core', async () => {
    const d = await device()
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000002-1-1-', source: 'wedge' })
    d.core.close()
    const { createDeviceCore } = await import('..')
    const again = createDeviceCore({ dataDir: d.dataDir, host: 'browser', version: '0', backendUrl: d.backend.url })
    try {
      expect((await again.handlers.getDeviceStatus({})).shift).toMatchObject({ manifestLoaded: true })
      expect((await again.handlers.getRoute({})).counters.delivered).toBe(1)
    } finally {
      again.close()
    }
  })
})

describe('logging in again', () => {
  it('carries the route over to the new shift the backend opens, keeping what the courier did', async () => {
    const d = await device()
    d.backend.newShiftPerLogin()
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000002-1-1-', source: 'wedge' })
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })
    await d.core.handlers.recordFailure({ orderId: 'ord_test0001', reason: 'not_home' })
    await d.core.handlers.declareCash({ declaredFen: 0 })
    const status = await d.core.handlers.login({ staffId: 'SZ1001', pin: '1234' })
    // The route came across with the login itself; the download refreshes it.
    expect(status.shift).toMatchObject({ shiftId: 'shf_test1002', manifestLoaded: true })
    await d.core.handlers.downloadManifest({})
    const route = await d.core.handlers.getRoute({})
    expect(route.shiftId).toBe('shf_test1002')
    expect(route.counters).toMatchObject({ delivered: 1, failed: 1, toGo: 2 })
    expect((await d.core.handlers.getShiftSummary({})).declaredCashFen).toBe(0)
    // A continuation, not another courier: no shift.closed for the lapsed shift.
    expect(outboxOf(d).filter((e) => e.type === 'shift.closed')).toEqual([])
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000004-1-1-', source: 'wedge' })
    expect(outboxOf(d).at(-1)).toMatchObject({ type: 'parcel.scanned', shiftId: 'shf_test1002' })
  })

  it('keeps the route usable when the download after a re-login is cut short (issue 11, point 13)', async () => {
    const d = await device()
    d.backend.newShiftPerLogin()
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000004-1-1-', source: 'wedge' })
    await d.core.handlers.login({ staffId: 'SZ1001', pin: '1234' })
    // Coverage goes the moment the login answered: the manifest download fails.
    await d.backend.close()
    await expect(d.core.handlers.downloadManifest({})).rejects.toMatchObject({ code: 'backend.unreachable' })
    const route = await d.core.handlers.getRoute({})
    expect(route).toMatchObject({ shiftId: 'shf_test1002', counters: { toGo: 4 } })
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })
    await expect(d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })).resolves.toMatchObject({
      status: 'pending',
      amountFen: 6660,
    })
    expect(outboxOf(d).at(-1)).toMatchObject({ type: 'payment.qr_shown', shiftId: 'shf_test1002' })
    // A restart in the dead zone finds it too.
    const { createDeviceCore } = await import('..')
    d.core.close()
    const again = createDeviceCore({ dataDir: d.dataDir, host: 'browser', version: '0', backendUrl: d.backend.url })
    try {
      expect((await again.handlers.getRoute({})).stops).toHaveLength(3)
    } finally {
      again.close()
    }
  })
})

describe('shift summary', () => {
  it('totals the shift, declares the cash, and closes once everything has synced', async () => {
    const d = await device()
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000004-1-1-', source: 'wedge' })
    await d.core.handlers.startCash({ orderId: 'ord_test0004' })
    await d.core.handlers.recordCash({ orderId: 'ord_test0004', takenFen: 500 })
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })
    await d.core.handlers.recordFailure({ orderId: 'ord_test0001', reason: 'not_home' })
    const summary = await d.core.handlers.getShiftSummary({})
    expect(summary).toMatchObject({
      counters: { delivered: 1, failed: 1, toGo: 2, cashFen: 500, digitalFen: 0 },
      cashToHandInFen: 500,
      declaredCashFen: null,
      ordersTotal: 4,
    })
    await expect(d.core.handlers.closeShift({})).rejects.toMatchObject({
      code: 'shift.open_items',
      details: { stopsLeft: 2, ordersLeft: 2, cashUndeclaredFen: 500 },
    })
    const declared = await d.core.handlers.declareCash({ declaredFen: 500 })
    expect(declared).toMatchObject({ declaredCashFen: 500, stopsLeft: 2 })
    expect(outboxOf(d).at(-1)).toMatchObject({ type: 'shift.cash_declared', payload: { declaredFen: 500 } })
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the sync')
    // Two stops are still to go: even with everything synced and the cash declared, ending needs a confirmation.
    await expect(d.core.handlers.closeShift({})).rejects.toMatchObject({
      code: 'shift.open_items',
      details: { stopsLeft: 2, pendingEvents: 0, cashUndeclaredFen: 0 },
    })
    const closed = await d.core.handlers.closeShift({ confirmOpen: true })
    expect(closed).toMatchObject({ shift: null, enrolled: true })
    expect(outboxOf(d).at(-1)).toMatchObject({
      type: 'shift.closed',
      payload: { forced: true, pendingCount: 0, stopsLeft: 2, cashUndeclaredFen: 0 },
    })
    await until(() => d.backend.applied.some((e) => e.type === 'shift.closed'), 'the close to sync')
  })

  it('refuses to close with events pending unless the courier confirms what is open', async () => {
    const d = await device()
    await d.backend.close()
    await d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })
    await d.core.handlers.recordFailure({ orderId: 'ord_test0001', reason: 'refused' })
    const before = outboxOf(d).length
    await expect(d.core.handlers.closeShift({})).rejects.toMatchObject({
      code: 'shift.open_items',
      details: { pendingEvents: before, stopsLeft: 3 },
    })
    expect(outboxOf(d)).toHaveLength(before)
    const closed = await d.core.handlers.closeShift({ confirmOpen: true })
    expect(closed.shift).toBeNull()
    expect(outboxOf(d).at(-1)).toMatchObject({ type: 'shift.closed', payload: { forced: true } })
  })
})
