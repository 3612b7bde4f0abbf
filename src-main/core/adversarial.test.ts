import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIpcDispatcher, type IpcDispatch } from './ipc'
import { outboxOf, startTestDevice, type TestDevice } from './testing/device'

let device: TestDevice
let dispatch: IpcDispatch

beforeAll(async () => {
  device = await startTestDevice()
  device.core.sync.stop()
  dispatch = createIpcDispatcher(device.core.handlers)
})
afterAll(() => device.close())

/** Requests a renderer could send by mistake or by malice: each must be refused before it reaches a handler. */
const malformed: [channel: string, request: unknown][] = [
  ['enrollDevice', { code: 'O0O0O0O0' }],
  ['enrollDevice', { code: 'ABCD2345', admin: true }],
  ['login', { staffId: 'sz1001', pin: '1234' }],
  ['login', { staffId: 'SZ1001', pin: '12' }],
  ['login', { staffId: 'SZ1001', pin: 1234 }],
  ['scanBarcode', { code: 'x'.repeat(257), source: 'wedge' }],
  ['scanBarcode', { code: 'JDVA00000000001-1-1-', source: 'telepathy' }],
  ['scanBarcode', { code: 42, source: 'wedge' }],
  ['scanBarcode', 'JDVA00000000001-1-1-'],
  ['getOrder', { orderId: "ord_x'; DROP TABLE orders;--" }],
  ['showPaymentQr', { orderId: 'pi_test0001' }],
  ['showPaymentQr', {}],
  ['startCash', { orderId: null }],
  ['recordCash', { orderId: 'ord_test0001', takenFen: 66.6 }],
  ['recordCash', { orderId: 'ord_test0001', takenFen: -6660 }],
  ['recordCash', { orderId: 'ord_test0001', takenFen: '6660' }],
  ['recordCash', { orderId: 'ord_test0001', takenFen: 1e20 }],
  ['recordFailure', { orderId: 'ord_test0001', reason: 'bored' }],
  ['declareCash', { declaredFen: -1 }],
  ['declareCash', { declaredFen: 1.5 }],
  ['closeShift', { confirmOpen: 'yes' }],
  ['closeShift', { force: true }],
  ['getDoorstep', { orderId: 'ord_test0001' }],
  ['resolveScanConflict', { choice: 'both' }],
  ['resolveScanConflict', {}],
  ['undoDelivery', { orderId: 'ord_test0001', force: true }],
  ['undoDelivery', { orderId: 42 }],
  ['deliverPrepaid', { orderId: 'pi_test0002' }],
  ['dismissNotice', { id: 0 }],
  ['dismissNotice', { id: '1' }],
  ['scanBarcode', { code: 'JDVA00000000001-1-1-', source: 'wedge', orderId: 'ord_test0001' }],
  ['syncNow', { now: true }],
  ['scanBarcode', { code: `TTR1.${'A'.repeat(300)}`, source: 'camera' }],
  ['scanBarcode', { code: 'TTR1.x.y', source: 'camera', orderId: 'pi_test0001' }],
  ['recordUnverified', { orderId: 'pi_test0001' }],
  ['recordUnverified', { orderId: 'ord_test0001', amountFen: 1 }],
  ['recordUnverified', {}],
  ['getUnverifiedAllowance', { perShiftFen: 1e9 }],
  ['getAttention', { all: true }],
  ['getRejectedEvents', { seq: 1 }],
  ['acknowledgeRejected', {}],
  ['acknowledgeRejected', { seq: 0 }],
  ['acknowledgeRejected', { seq: '3' }],
  ['acknowledgeRejected', { seq: 1.5 }],
  ['acknowledgeRejected', { seq: 1, all: true }],
]

describe('the core refuses malformed messages and changes nothing', () => {
  it.each(malformed)('%s %j', async (channel, request) => {
    const before = outboxOf(device).length
    const routeBefore = await device.core.handlers.getRoute({})
    const result = await dispatch(channel, request)
    expect(result).toMatchObject({ ok: false, error: { code: 'ipc.bad_request' } })
    if (!result.ok) expect(result.error.message).toContain(channel)
    expect(outboxOf(device)).toHaveLength(before)
    expect(await device.core.handlers.getRoute({})).toEqual(routeBefore)
  })

  it('answers a refusal on domain grounds with a code the terminal translates, changing nothing', async () => {
    const before = outboxOf(device).length
    for (const [channel, request, code] of [
      ['getOrder', { orderId: 'ord_nothere' }, 'order.not_found'],
      // Nothing is in hand: no order can be collected, failed or handed over until its parcel is scanned.
      ['showPaymentQr', { orderId: 'ord_test0003' }, 'doorstep.not_in_hand'],
      ['recordCash', { orderId: 'ord_test0002', takenFen: 100 }, 'doorstep.not_in_hand'],
      ['recordFailure', { orderId: 'ord_test0001', reason: 'not_home' }, 'doorstep.not_in_hand'],
      ['deliverPrepaid', { orderId: 'ord_test0002' }, 'doorstep.not_in_hand'],
      ['undoDelivery', { orderId: 'ord_test0001' }, 'undo.not_open'],
      ['resolveScanConflict', { choice: 'switch' }, 'doorstep.no_conflict'],
      ['enrollDevice', { code: 'ABCD2345' }, 'device.already_enrolled'],
      ['recordUnverified', { orderId: 'ord_test0003' }, 'doorstep.not_in_hand'],
      ['recordUnverified', { orderId: 'ord_nothere' }, 'order.not_found'],
    ] as const) {
      expect(await dispatch(channel, request), channel).toMatchObject({ ok: false, error: { code } })
    }
    expect(outboxOf(device)).toHaveLength(before)
  })
})
