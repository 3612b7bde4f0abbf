import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { decodeCollectionQr } from '../../shared/emv/collection-qr'
import { ApiCallError, errorOf } from '../testing/api'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'
import { snapshotTables } from '../testing/snapshot'

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ApiCallError) return { status: error.status, code: error.code }
    throw error
  }
  return { status: 200, code: 'accepted' }
}

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`payment intents on ${kind}`, () => {
    let server: TestBackend
    let clock = Date.now()

    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        now: () => clock,
        config: { intentTtlMs: 30 * 60_000, intentRecheckMs: 0 },
      })
    })
    afterAll(async () => server?.stop())
    afterEach(async () => {
      await server.api.setBehaviour({})
    })

    it('answers a poll from the acquirer when its notification is slow', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 6660 }] })
      const intent = courier.order(0).intent!
      await server.api.setBehaviour({ holdNotifications: true })
      const paid = await server.api.pay(intent.qrPayload)
      const polled = await server.api.intent(courier.shift.shiftToken, intent.intentId)
      expect(polled).toMatchObject({ status: 'paid', transactionId: paid.transactionId, paidAt: paid.paidAt })
      const payments = await server.db
        .selectFrom('payments')
        .selectAll()
        .where('intent_id', '=', intent.intentId)
        .execute()
      expect(payments).toEqual([expect.objectContaining({ source: 'query', outcome: 'succeeded', amount_fen: 6660 })])

      // The held notification then arrives and changes nothing more.
      await server.api.setBehaviour({ holdNotifications: false })
      await expect
        .poll(async () => (await server.api.notifications(intent.intentId)).notifications[0]?.status)
        .toBe('delivered')
      expect(
        await server.db
          .selectFrom('payments')
          .select('transaction_id')
          .where('intent_id', '=', intent.intentId)
          .execute(),
      ).toHaveLength(1)
      const messages = await server.db
        .selectFrom('stream_messages')
        .select('name')
        .where('device_id', '=', courier.device.deviceId)
        .execute()
      expect(messages.filter((m) => m.name === 'payment')).toHaveLength(1)
    })

    it('cancels an intent with the acquirer so its QR can no longer be paid', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 19900 }] })
      const intent = courier.order(0).intent!
      const cancelled = await server.api.cancel(courier.shift.shiftToken, intent.intentId)
      expect(cancelled.status).toBe('cancelled')
      expect((await server.api.acquirerRecord(server.sandbox!.identity.apiKey, intent.intentId)).status).toBe(
        'cancelled',
      )
      expect(await refusal(server.api.pay(intent.qrPayload))).toEqual({ status: 409, code: 'intent.cancelled' })
      // Cancelling again is harmless.
      expect((await server.api.cancel(courier.shift.shiftToken, intent.intentId)).status).toBe('cancelled')
    })

    it('refuses to cancel a paid intent with 409 intent.already_paid, even one paid a moment before', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 3580 }, { codFen: 8990 }] })
      const known = courier.order(0).intent!
      await server.api.pay(known.qrPayload)
      await expect
        .poll(async () => (await server.api.intent(courier.shift.shiftToken, known.intentId)).status)
        .toBe('paid')
      expect(await refusal(server.api.cancel(courier.shift.shiftToken, known.intentId))).toEqual({
        status: 409,
        code: 'intent.already_paid',
      })

      // Paid at the acquirer, notification still held: the cancel finds out, and the backend records the payment.
      const racing = courier.order(1).intent!
      await server.api.setBehaviour({ holdNotifications: true })
      const paid = await server.api.pay(racing.qrPayload)
      expect(await refusal(server.api.cancel(courier.shift.shiftToken, racing.intentId))).toEqual({
        status: 409,
        code: 'intent.already_paid',
      })
      const row = await server.db
        .selectFrom('payment_intents')
        .selectAll()
        .where('id', '=', racing.intentId)
        .executeTakeFirstOrThrow()
      expect(row).toMatchObject({ status: 'paid', transaction_id: paid.transactionId })
    })

    it('renews an expired intent as the next attempt, with a new ID and QR, once', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 25800 }] })
      const first = courier.order(0).intent!
      expect(await refusal(server.api.renew(courier.shift.shiftToken, first.intentId))).toEqual({
        status: 409,
        code: 'intent.not_expired',
      })
      clock += 30 * 60_000 + 1
      expect((await server.api.intent(courier.shift.shiftToken, first.intentId)).status).toBe('expired')
      const renewed = await server.api.renew(courier.shift.shiftToken, first.intentId)
      expect(renewed).toMatchObject({ orderId: first.orderId, attempt: 2, status: 'pending', amountFen: 25800 })
      expect(renewed.intentId).not.toBe(first.intentId)
      expect(renewed.qrPayload).not.toBe(first.qrPayload)
      expect(decodeCollectionQr(renewed.qrPayload).intentId).toBe(renewed.intentId)
      expect((await server.api.acquirerRecord(server.sandbox!.identity.apiKey, renewed.intentId)).key).toBe(
        `cod:${first.orderId}:2`,
      )
      // Renewing the old one again answers the same successor; the old QR is dead at the acquirer.
      expect((await server.api.renew(courier.shift.shiftToken, first.intentId)).intentId).toBe(renewed.intentId)
      expect(await refusal(server.api.pay(first.qrPayload))).toEqual({ status: 409, code: 'intent.expired' })
      // The manifest now carries the new one.
      const manifest = await server.api.manifest(courier.shift.shiftToken, courier.shift.shiftId)
      expect(manifest.stops[0]!.orders[0]!.intent!.intentId).toBe(renewed.intentId)

      await server.api.pay(renewed.qrPayload)
      await expect
        .poll(async () => (await server.api.intent(courier.shift.shiftToken, renewed.intentId)).status)
        .toBe('paid')
      expect(await refusal(server.api.renew(courier.shift.shiftToken, renewed.intentId))).toEqual({
        status: 409,
        code: 'intent.already_paid',
      })
    })

    it("keeps a courier's intents from other couriers and refuses unknown or malformed IDs, changing nothing", async () => {
      const mine = await loggedInCourier(server, { orders: [{ codFen: 4650 }] })
      const theirs = await loggedInCourier(server, { orders: [{ codFen: 4650 }] })
      const intentId = theirs.order(0).intent!.intentId
      const before = await snapshotTables(server.db, { devices: ['last_contact_ms'], payment_intents: ['checked_ms'] })
      for (const [path, status, code] of [
        [`/api/v1/intents/${intentId}`, 403, 'auth.forbidden'],
        [`/api/v1/intents/${intentId}/cancel`, 403, 'auth.forbidden'],
        [`/api/v1/intents/${intentId}/renew`, 403, 'auth.forbidden'],
        ['/api/v1/intents/pi_doesnotexist/cancel', 404, 'intent.not_found'],
        ["/api/v1/intents/pi_1'%3BDROP/cancel", 400, 'request.invalid'],
      ] as const) {
        const method = path.endsWith('cancel') || path.endsWith('renew') ? 'POST' : 'GET'
        const answer = await server.api.raw(method, path, { token: mine.shift.shiftToken })
        expect(answer.status, path).toBe(status)
        expect(errorOf(answer.json).code).toBe(code)
      }
      expect(
        await snapshotTables(server.db, { devices: ['last_contact_ms'], payment_intents: ['checked_ms'] }),
      ).toEqual(before)
    })
  })
}
