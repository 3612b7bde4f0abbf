import { afterEach, describe, expect, it } from 'vitest'
import { EXAMPLE_PROOF_RULES, policyFor, type ManifestProof } from '../../../shared/api/proof'
import { deliveryCodeCheck } from '../../../shared/delivery-code'
import { createDeviceCore } from '../index'
import { createIpcDispatcher } from '../ipc'
import type { ScriptedBackend } from '../testing/scripted-backend'
import { FAST_SYNC, outboxOf, queryDevice, startTestDevice, type TestDevice } from '../testing/device'

const CODE = '042917'
const devices: TestDevice[] = []
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close()
})

/** The scripted manifest with proof: ord_test0001 (¥66.60) over a ¥50 code rule, ord_test0002 prepaid likewise. */
async function proofDevice(
  options: { code?: boolean; held?: { used: number; verified: boolean } } = {},
): Promise<TestDevice> {
  const rules = { ...EXAMPLE_PROOF_RULES, valueOverFen: 0 }
  const check = await deliveryCodeCheck(CODE, 5)
  const arrange = (backend: ScriptedBackend): void => {
    const [first, prepaid] = backend.manifest.stops[0]!.orders
    const proof = (valueFen: number): ManifestProof => ({
      policy: policyFor(rules, valueFen),
      code: options.code === false ? null : check,
      ...(options.held ? { codeTries: options.held } : {}),
    })
    first!.proof = proof(6660)
    prepaid!.proof = { ...proof(1), code: check }
  }
  const d = await startTestDevice({ arrange })
  devices.push(d)
  return d
}

const scanFirst = (d: TestDevice) => d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })

describe('proof at the door', () => {
  it('blocks collection until the code is right, and says nothing of the right code when wrong', async () => {
    const d = await proofDevice()
    const scanned = await scanFirst(d)
    expect(scanned.outcome === 'accepted' && scanned.order.proof).toMatchObject({
      handover: 'recipient',
      required: [{ anyOf: ['code', 'signature'], met: false }],
      code: { triesLeft: 5, verified: false },
      met: false,
    })
    await expect(d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })).rejects.toMatchObject({
      code: 'proof.required',
      details: { missing: 'code|signature', handover: 'recipient' },
    })
    await expect(d.core.handlers.startCash({ orderId: 'ord_test0001' })).rejects.toMatchObject({
      code: 'proof.required',
    })
    const wrongA = await d.core.handlers.submitDeliveryCode({ orderId: 'ord_test0001', code: '042918' })
    const wrongB = await d.core.handlers.submitDeliveryCode({ orderId: 'ord_test0001', code: '999999' })
    // Two wrong codes, one a digit off and one far away, answer exactly alike.
    expect({ ...wrongA, order: null }).toEqual({ ok: false, triesLeft: 4, order: null })
    expect({ ...wrongB, order: null }).toEqual({ ok: false, triesLeft: 3, order: null })
    const right = await d.core.handlers.submitDeliveryCode({ orderId: 'ord_test0001', code: CODE })
    expect(right.ok).toBe(true)
    expect(right.order.proof).toMatchObject({ met: true, code: { verified: true } })
    const qr = await d.core.handlers.showPaymentQr({ orderId: 'ord_test0001' })
    expect(qr.intentId).toBeTruthy()
    const tries = outboxOf(d).filter((e) => e.type === 'proof.code_checked')
    expect(tries.map((e) => e.payload)).toEqual([
      { orderId: 'ord_test0001', attempt: 1, ok: false, tries: 1 },
      { orderId: 'ord_test0001', attempt: 1, ok: false, tries: 2 },
      { orderId: 'ord_test0001', attempt: 1, ok: true, tries: 3 },
    ])
  })

  it('allows five tries in all, counted across a restart, and refuses a malformed entry without counting it', async () => {
    const d = await proofDevice()
    await scanFirst(d)
    for (let i = 0; i < 3; i++) await d.core.handlers.submitDeliveryCode({ orderId: 'ord_test0001', code: '111111' })
    const dispatch = createIpcDispatcher(d.core.handlers)
    const counted = outboxOf(d).length
    for (const code of ['12345', '1234567', 'abcdef', ' 042917', '04291７', '', null, 42917]) {
      const answer = await dispatch('submitDeliveryCode', { orderId: 'ord_test0001', code })
      expect(answer, String(code)).toMatchObject({ ok: false, error: { code: 'ipc.bad_request' } })
    }
    expect(outboxOf(d)).toHaveLength(counted)
    d.core.close()
    d.core = createDeviceCore({
      dataDir: d.dataDir,
      host: 'browser',
      version: '0.0.0-test',
      backendUrl: d.backend.url,
      sync: FAST_SYNC,
    })
    await scanFirst(d)
    const fourth = await d.core.handlers.submitDeliveryCode({ orderId: 'ord_test0001', code: '222222' })
    expect(fourth.triesLeft).toBe(1)
    const fifth = await d.core.handlers.submitDeliveryCode({ orderId: 'ord_test0001', code: '333333' })
    expect([fifth.ok, fifth.triesLeft]).toEqual([false, 0])
    const before = outboxOf(d).length
    // Locked: even the right code is refused now, and nothing is recorded.
    await expect(d.core.handlers.submitDeliveryCode({ orderId: 'ord_test0001', code: CODE })).rejects.toMatchObject({
      code: 'proof.code_locked',
    })
    expect(outboxOf(d)).toHaveLength(before)
    expect(queryDevice(d, 'SELECT COUNT(*) AS n FROM proof_code_tries')).toEqual([{ n: 5 }])
  })

  it('carries on from the tries the backend holds (a device swap), never from five fresh ones', async () => {
    const d = await proofDevice({ held: { used: 4, verified: false } })
    const scan = await scanFirst(d)
    expect(scan.outcome === 'accepted' && scan.order.proof?.code).toEqual({ triesLeft: 1, verified: false })
    const last = await d.core.handlers.submitDeliveryCode({ orderId: 'ord_test0001', code: '999999' })
    expect([last.ok, last.triesLeft]).toEqual([false, 0])
    expect(outboxOf(d).at(-1)).toMatchObject({ type: 'proof.code_checked', payload: { tries: 5, ok: false } })
    await expect(d.core.handlers.submitDeliveryCode({ orderId: 'ord_test0001', code: CODE })).rejects.toMatchObject({
      code: 'proof.code_locked',
    })

    const verified = await proofDevice({ held: { used: 2, verified: true } })
    const again = await scanFirst(verified)
    expect(again.outcome === 'accepted' && again.order.proof?.met).toBe(true)
  })

  it('never lets racing tries pass the limit', async () => {
    const d = await proofDevice()
    await scanFirst(d)
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => d.core.handlers.submitDeliveryCode({ orderId: 'ord_test0001', code: '555555' })),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5)
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : []))
    expect(refused).toEqual(['proof.code_locked', 'proof.code_locked', 'proof.code_locked'])
    const tries = outboxOf(d).filter((e) => e.type === 'proof.code_checked')
    expect(tries.map((e) => (e.payload as { tries: number }).tries)).toEqual([1, 2, 3, 4, 5])
  })

  it('asks a photo for a door handover, and a reason-coded override completes it and is recorded', async () => {
    const d = await proofDevice()
    await scanFirst(d)
    const door = await d.core.handlers.chooseHandover({ orderId: 'ord_test0001', handover: 'door' })
    expect(door.proof).toMatchObject({ handover: 'door', required: [{ anyOf: ['photo'], met: false }], met: false })
    await expect(
      d.core.handlers.overrideProof({ orderId: 'ord_test0001', reason: 'other', note: null }),
    ).rejects.toMatchObject({ code: 'proof.note_required' })
    const overridden = await d.core.handlers.overrideProof({
      orderId: 'ord_test0001',
      reason: 'camera_broken',
      note: null,
    })
    expect(overridden.proof).toMatchObject({
      met: true,
      override: { reason: 'camera_broken', waived: ['photo'] },
    })
    await d.core.handlers.startCash({ orderId: 'ord_test0001' })
    await d.core.handlers.recordCash({ orderId: 'ord_test0001', takenFen: 6660 })
    const events = outboxOf(d)
    expect(events.find((e) => e.type === 'proof.overridden')?.payload).toEqual({
      orderId: 'ord_test0001',
      attempt: 1,
      reason: 'camera_broken',
      note: null,
      waived: ['photo'],
    })
    expect(events.at(-1)).toMatchObject({ type: 'delivery.completed', payload: { handover: 'door', method: 'cash' } })
  })

  it('does not complete a prepaid order on its scan while proof is missing', async () => {
    const d = await proofDevice()
    const scan = await d.core.handlers.scanBarcode({ code: 'JDVA00000000002-1-1-', source: 'wedge' })
    expect(scan).toMatchObject({ outcome: 'accepted', completed: false, order: { status: 'pending' } })
    await expect(d.core.handlers.deliverPrepaid({ orderId: 'ord_test0002' })).rejects.toMatchObject({
      code: 'proof.required',
    })
    await d.core.handlers.submitDeliveryCode({ orderId: 'ord_test0002', code: CODE })
    const done = await d.core.handlers.deliverPrepaid({ orderId: 'ord_test0002' })
    expect(done.status).toBe('delivered')
    expect(outboxOf(d).at(-1)).toMatchObject({ type: 'delivery.completed', payload: { handover: 'recipient' } })
  })

  it('needs a call attempt and a photo (or an override) before a "not home" failure, where the policy asks', async () => {
    const d = await proofDevice()
    await scanFirst(d)
    await expect(d.core.handlers.recordFailure({ orderId: 'ord_test0001', reason: 'not_home' })).rejects.toMatchObject({
      code: 'proof.required',
      details: { missing: 'photo', callMissing: true },
    })
    // Other reasons are not held up.
    await d.core.handlers.overrideProof({
      orderId: 'ord_test0001',
      reason: 'supervisor_approved',
      note: '张伟 by phone',
    })
    const failed = await d.core.handlers.recordFailure({ orderId: 'ord_test0001', reason: 'not_home' })
    expect(failed.status).toBe('failed')
  })

  it('asks nothing of an order without a policy: a normal delivery stays as it was', async () => {
    const d = await startTestDevice()
    devices.push(d)
    const scan = await scanFirst(d)
    expect(scan.outcome === 'accepted' && scan.order.proof).toBeNull()
    await d.core.handlers.startCash({ orderId: 'ord_test0001' })
    await d.core.handlers.recordCash({ orderId: 'ord_test0001', takenFen: 6660 })
    expect(outboxOf(d).at(-1)!.payload).not.toHaveProperty('handover')
    await expect(
      d.core.handlers.overrideProof({ orderId: 'ord_test0001', reason: 'camera_broken', note: null }),
    ).rejects.toMatchObject({ code: 'order.closed' })
  })

  it('says so when the order has no code to check, and refuses an override with nothing to override', async () => {
    const d = await proofDevice({ code: false })
    await scanFirst(d)
    await expect(d.core.handlers.submitDeliveryCode({ orderId: 'ord_test0001', code: CODE })).rejects.toMatchObject({
      code: 'proof.no_code',
    })
  })
})
