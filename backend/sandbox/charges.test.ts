import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { looksLikePaymentCode } from '../../shared/payment-code'
import { ApiCallError, type BackendApi } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'
import { readStatement } from '../statements/format'

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ApiCallError) return { status: error.status, code: error.code }
    throw error
  }
  return { status: 200, code: 'accepted' }
}

let chargeCount = 0
const chargeNo = (intentId: string) => `chg_${intentId.slice(3)}_${++chargeCount}`

describe('sandbox acquirer: customer-presented codes, refunds and statements', () => {
  let server: TestBackend
  let api: BackendApi
  let key: string
  let notifyUrl: string

  beforeAll(async () => {
    server = await startTestBackend()
    api = server.api
    key = server.sandbox!.identity.apiKey
    notifyUrl = `${server.url}/api/v1/acquirer/notifications`
  })
  afterAll(async () => server?.stop())
  afterEach(async () => {
    await api.setBehaviour({})
  })

  const intentFor = async (codFen: number) => {
    const courier = await loggedInCourier(server, { orders: [{ codFen }] })
    return courier.order(0).intent!
  }
  const charge = (intentId: string, amountFen: number, authCode: string, no = chargeNo(intentId)) =>
    api.merchant(key).charge({ chargeNo: no, intentId, authCode, amountFen, notifyUrl })

  it('shows a single-use 18-digit code with the sandbox prefix, replaced every 60 s and on request', async () => {
    const wallet = await api.setWallet('wallet-code')
    expect(wallet.paymentCode.code).toMatch(/^88\d{16}$/)
    expect(looksLikePaymentCode(wallet.paymentCode.code)).toBe(true)
    expect(Date.parse(wallet.paymentCode.expiresAt) - Date.now()).toBeGreaterThan(55_000)
    expect((await api.wallet('wallet-code')).paymentCode.code).toBe(wallet.paymentCode.code)
    const fresh = await api.refreshCode('wallet-code')
    expect(fresh.paymentCode.code).not.toBe(wallet.paymentCode.code)
    // The old code is retired: charging it fails as expired, and uses nothing of the wallet.
    const intent = await intentFor(1000)
    const old = await charge(intent.intentId, 1000, wallet.paymentCode.code)
    expect(old).toMatchObject({ status: 'failed', failure: 'code_expired', transactionId: null })
    const paid = await charge(intent.intentId, 1000, fresh.paymentCode.code)
    expect(paid).toMatchObject({ status: 'paid' })
    const again = await charge(intent.intentId, 1000, fresh.paymentCode.code)
    expect(again).toMatchObject({ status: 'failed', failure: 'code_used' })
    expect((await api.wallet('wallet-code')).paymentCode.code).not.toBe(fresh.paymentCode.code)
  })

  it('charges at once, idempotently under the same charge number, and signs its notification with the number', async () => {
    const intent = await intentFor(6660)
    const code = (await api.setWallet('wallet-instant')).paymentCode.code
    const no = chargeNo(intent.intentId)
    const first = await charge(intent.intentId, 6660, code, no)
    expect(first).toMatchObject({ chargeNo: no, status: 'paid', failure: null, amountFen: 6660 })
    expect(await charge(intent.intentId, 6660, code, no)).toEqual(first)
    expect(await refusal(charge(intent.intentId, 6661, code, no))).toEqual({ status: 409, code: 'charge.key_conflict' })
    expect(await refusal(charge(intent.intentId, 6661, code))).toEqual({ status: 422, code: 'charge.amount_mismatch' })
    const other = (await api.refreshCode('wallet-instant')).paymentCode.code
    expect(await refusal(charge(intent.intentId, 6660, other, no))).toEqual({
      status: 409,
      code: 'charge.key_conflict',
    })
    const record = await api.acquirerRecord(key, intent.intentId)
    expect(record.status).toBe('paid')
    expect(record.payments).toEqual([expect.objectContaining({ transactionId: first.transactionId, chargeNo: no })])
    await expect
      .poll(async () => (await api.notifications(intent.intentId)).notifications.map((n) => n.status))
      .toEqual(['delivered'])
  })

  it('asks for the PIN: "user paying" until typed, three wrong ones lock the charge', async () => {
    const intent = await intentFor(19900)
    const code = (await api.setWallet('wallet-pin', { pin: '246810' })).paymentCode.code
    const no = chargeNo(intent.intentId)
    expect(await charge(intent.intentId, 19900, code, no)).toMatchObject({ status: 'user_paying' })
    const waiting = await api.wallet('wallet-pin')
    expect(waiting.pending).toEqual([
      expect.objectContaining({ chargeNo: no, amountFen: 19900, needsPin: true, pinAttemptsLeft: 3 }),
    ])
    expect(await refusal(api.confirmPin('wallet-pin', no, '000000'))).toEqual({ status: 422, code: 'wallet.wrong_pin' })
    expect((await api.merchant(key).queryCharge(no)).status).toBe('user_paying')
    await api.confirmPin('wallet-pin', no, '246810')
    expect(await api.merchant(key).queryCharge(no)).toMatchObject({ status: 'paid' })

    const locked = await intentFor(1000)
    const lockedNo = chargeNo(locked.intentId)
    await charge(locked.intentId, 1000, (await api.wallet('wallet-pin')).paymentCode.code, lockedNo)
    for (let i = 0; i < 3; i++) await refusal(api.confirmPin('wallet-pin', lockedNo, '111111'))
    expect(await api.merchant(key).queryCharge(lockedNo)).toMatchObject({ status: 'failed', failure: 'pin_locked' })
    expect(await refusal(api.confirmPin('wallet-pin', lockedNo, '246810'))).toEqual({
      status: 409,
      code: 'charge.not_waiting',
    })
  })

  it('has a customer who takes a while: "user paying", then paid by itself', async () => {
    const intent = await intentFor(3000)
    const code = (await api.setWallet('wallet-slow', { payingMs: 400 })).paymentCode.code
    const no = chargeNo(intent.intentId)
    expect(await charge(intent.intentId, 3000, code, no)).toMatchObject({ status: 'user_paying' })
    await expect.poll(async () => (await api.merchant(key).queryCharge(no)).status).toBe('paid')
  })

  it('refuses by tier and balance, saying which limit, and takes nothing', async () => {
    const big = await intentFor(250_000)
    const tier4 = (await api.setWallet('wallet-tier4', { tier: 'tier4' })).paymentCode.code
    expect(await charge(big.intentId, 250_000, tier4)).toMatchObject({
      status: 'failed',
      failure: 'limit_per_payment',
      limitFen: 200_000,
    })
    const day = await Promise.all([intentFor(180_000), intentFor(180_000), intentFor(180_000)])
    const results = []
    for (const intent of day) {
      results.push(await charge(intent.intentId, 180_000, (await api.wallet('wallet-tier4')).paymentCode.code))
    }
    expect(results.map((r) => r.status)).toEqual(['paid', 'paid', 'failed'])
    expect(results[2]).toMatchObject({ failure: 'limit_per_day', limitFen: 500_000 })
    const poor = await intentFor(6660)
    const empty = (await api.setWallet('wallet-poor', { balanceFen: 100 })).paymentCode.code
    expect(await charge(poor.intentId, 6660, empty)).toMatchObject({
      status: 'failed',
      failure: 'insufficient_balance',
    })
    // The QR side holds to the same limits.
    const qr = await intentFor(250_000)
    expect(await refusal(api.pay(qr.qrPayload, 'wallet-tier4'))).toEqual({
      status: 422,
      code: 'wallet.limit_per_payment',
    })
    expect((await api.acquirerRecord(key, qr.intentId)).payments).toEqual([])
  })

  it('revokes: a waiting charge is closed, one never received leaves a tombstone, a paid one keeps its payment', async () => {
    const intent = await intentFor(5000)
    const code = (await api.setWallet('wallet-revoke', { pin: '135790' })).paymentCode.code
    const no = chargeNo(intent.intentId)
    await charge(intent.intentId, 5000, code, no)
    expect(await api.merchant(key).revoke(no, intent.intentId)).toMatchObject({ status: 'revoked' })
    expect(await refusal(api.confirmPin('wallet-revoke', no, '135790'))).toEqual({
      status: 409,
      code: 'charge.not_waiting',
    })

    const lost = chargeNo(intent.intentId)
    expect(await api.merchant(key).revoke(lost, intent.intentId)).toMatchObject({ status: 'revoked' })
    // The request arriving after its revoke takes no money.
    const late = (await api.wallet('wallet-revoke')).paymentCode.code
    expect(await charge(intent.intentId, 5000, late, lost)).toMatchObject({ status: 'revoked', transactionId: null })
    expect((await api.acquirerRecord(key, intent.intentId)).payments).toEqual([])

    const paidIntent = await intentFor(5000)
    const paidNo = chargeNo(paidIntent.intentId)
    await charge(paidIntent.intentId, 5000, (await api.setWallet('wallet-plain')).paymentCode.code, paidNo)
    expect(await refusal(api.merchant(key).revoke(paidNo, paidIntent.intentId))).toEqual({
      status: 409,
      code: 'charge.already_paid',
    })
  })

  it('with revokeRace, the PIN typed just before a revoke lands after it answered "revoked"', async () => {
    const intent = await intentFor(4200)
    const code = (await api.setWallet('wallet-race', { pin: '112233' })).paymentCode.code
    const no = chargeNo(intent.intentId)
    await charge(intent.intentId, 4200, code, no)
    await api.setBehaviour({ revokeRace: true })
    expect(await api.merchant(key).revoke(no, intent.intentId)).toMatchObject({ status: 'revoked' })
    await expect.poll(async () => (await api.merchant(key).queryCharge(no)).status).toBe('paid')
  })

  it('drops a charge answer it was asked to lose, having taken the money', async () => {
    const intent = await intentFor(7700)
    const code = (await api.setWallet('wallet-lost')).paymentCode.code
    const no = chargeNo(intent.intentId)
    await api.setBehaviour({ dropChargeAnswers: true })
    await expect(charge(intent.intentId, 7700, code, no)).rejects.toThrow()
    await api.setBehaviour({})
    expect(await api.merchant(key).queryCharge(no)).toMatchObject({ status: 'paid' })
  })

  it('answers 503 in an outage and slowly when asked to, on the merchant side only', async () => {
    const intent = await intentFor(1000)
    await api.setBehaviour({ outage: true })
    expect(await refusal(api.acquirerRecord(key, intent.intentId))).toEqual({ status: 503, code: 'acquirer.outage' })
    expect((await api.preview(intent.qrPayload)).status).toBe('pending')
    await api.setBehaviour({ queryDelayMs: 300 })
    const started = Date.now()
    await api.acquirerRecord(key, intent.intentId)
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
  })

  it('refunds in part up to what was paid, once per refund number, "processing" first and signed results', async () => {
    const intent = await intentFor(10_000)
    const paid = await api.pay(intent.qrPayload, 'wallet-refund')
    const refund = (refundNo: string, amountFen: number) =>
      api.merchant(key).refund({ refundNo, transactionId: paid.transactionId, amountFen, notifyUrl })
    await api.setBehaviour({ refundDelayMs: 200 })
    expect(await refund('rf_test_part1', 4000)).toMatchObject({ status: 'processing', attempts: 1 })
    expect(await refund('rf_test_part1', 4000)).toMatchObject({ status: 'processing', attempts: 1 })
    expect(await refusal(refund('rf_test_part1', 3000))).toEqual({ status: 409, code: 'refund.key_conflict' })
    expect(await refusal(refund('rf_test_part2', 6001))).toEqual({ status: 422, code: 'refund.exceeds_paid' })
    await expect.poll(async () => (await api.merchant(key).queryRefund('rf_test_part1')).status).toBe('succeeded')
    expect(await refund('rf_test_part2', 6000)).toMatchObject({ status: 'processing' })
    expect(await refusal(refund('rf_test_part3', 1))).toEqual({ status: 422, code: 'refund.exceeds_paid' })
    expect(
      await refusal(
        api.merchant(key).refund({ refundNo: 'rf_test_x', transactionId: 'tx_none', amountFen: 1, notifyUrl }),
      ),
    ).toEqual({
      status: 404,
      code: 'refund.transaction_unknown',
    })
    await expect
      .poll(
        async () =>
          (await api.notifications(intent.intentId)).notifications.filter((n) => n.type === 'refund.succeeded').length,
      )
      .toBe(2)
  })

  it('fails a refund when asked to, and attempts it again under the same number', async () => {
    const intent = await intentFor(2000)
    const paid = await api.pay(intent.qrPayload, 'wallet-refund-fail')
    await api.setBehaviour({ refundOutcome: 'fail_first' })
    const body = { refundNo: 'rf_test_fails', transactionId: paid.transactionId, amountFen: 2000, notifyUrl }
    await api.merchant(key).refund(body)
    await expect.poll(async () => (await api.merchant(key).queryRefund('rf_test_fails')).status).toBe('failed')
    expect(await api.merchant(key).refund(body)).toMatchObject({ status: 'processing', attempts: 2 })
    await expect.poll(async () => (await api.merchant(key).queryRefund('rf_test_fails')).status).toBe('succeeded')
  })

  it("writes the day's statement, cut by Asia/Shanghai time, with a checksum only the merchant key makes", async () => {
    const intent = await intentFor(8800)
    const paid = await api.pay(intent.qrPayload, 'wallet-statement')
    const date = new Date(Date.parse(paid.paidAt) + 8 * 3600_000).toISOString().slice(0, 10)
    const text = await api.merchant(key).statement(date)
    const statement = readStatement(text, key)
    expect(statement.date).toBe(date)
    expect(statement.lines).toContainEqual(
      expect.objectContaining({
        transactionId: paid.transactionId,
        intentId: intent.intentId,
        amountFen: 8800,
        feeFen: 5,
        type: 'payment',
      }),
    )
    expect(() => readStatement(text, 'another key')).toThrow(/line 1: the checksum/)
    const nextDay = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
    expect(
      readStatement(await api.merchant(key).statement(nextDay), key).lines.map((l) => l.transactionId),
    ).not.toContain(paid.transactionId)
  })
})
