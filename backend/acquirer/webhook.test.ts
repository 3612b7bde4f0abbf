import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACQUIRER_SIGNATURE_HEADER,
  ACQUIRER_TIMESTAMP_HEADER,
  type AcquirerNotification,
} from '../../shared/api/acquirer'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { openStream, errorOf } from '../testing/api'
import { snapshotTables } from '../testing/snapshot'
import { signNotification } from './signature'

const PATH = '/api/v1/acquirer/notifications'
const nid = (): string => `ntf_${randomBytes(10).toString('hex')}`
const tx = (): string => `tx_${randomBytes(10).toString('hex')}`

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`acquirer webhook on ${kind}`, () => {
    let server: TestBackend
    let secret: string
    let courier: LoggedInCourier

    beforeAll(async () => {
      server = await startTestBackend({ database: kind })
      secret = server.sandbox!.identity.webhookSecret
      courier = await loggedInCourier(server, {
        orders: [
          { codFen: 6660 },
          { codFen: 19900 },
          { codFen: 3580 },
          { codFen: 8990 },
          { codFen: 1990 },
          { codFen: 4200 },
        ],
      })
    })
    afterAll(async () => server?.stop())

    function deliver(
      body: string,
      options: { at?: number; signature?: string; headers?: Record<string, string> } = {},
    ) {
      const at = options.at ?? Math.floor(Date.now() / 1000)
      return server.api.raw('POST', PATH, {
        body,
        headers: {
          [ACQUIRER_TIMESTAMP_HEADER]: String(at),
          [ACQUIRER_SIGNATURE_HEADER]: options.signature ?? signNotification(secret, at, body),
          ...options.headers,
        },
      })
    }
    const succeeded = (order: number, overrides: Partial<AcquirerNotification> = {}): AcquirerNotification => ({
      notificationId: nid(),
      type: 'payment.succeeded',
      intentId: courier.order(order).intent!.intentId,
      transactionId: tx(),
      amountFen: courier.order(order).codFen,
      occurredAt: new Date().toISOString(),
      ...overrides,
    })

    it('applies a signed notification once: the intent is paid, the raw body kept, the device told', async () => {
      const stream = await openStream(server.url, courier.device.deviceId, courier.device.deviceToken)
      try {
        const notification = succeeded(0)
        const body = JSON.stringify(notification)
        const at = Math.floor(Date.now() / 1000)
        const first = await deliver(body, { at })
        expect(first.status).toBe(200)
        expect(first.json).toEqual({ notificationId: notification.notificationId, status: 'applied' })
        const message = await stream.waitFor((m) => m.event === 'payment')
        expect(message.data).toMatchObject({
          intentId: notification.intentId,
          orderId: courier.order(0).orderId,
          status: 'paid',
          amountFen: 6660,
          transactionId: notification.transactionId,
        })
        const stored = await server.db
          .selectFrom('acquirer_notifications')
          .selectAll()
          .where('notification_id', '=', notification.notificationId)
          .executeTakeFirstOrThrow()
        expect(stored).toMatchObject({ raw_body: body, outcome: 'applied' })

        // A redelivery (freshly signed, a second later) is a duplicate and changes nothing.
        const before = await snapshotTables(server.db)
        const again = await deliver(body, { at: at - 1 })
        expect(again.status).toBe(200)
        expect(again.json).toEqual({ notificationId: notification.notificationId, status: 'duplicate' })
        const after = await snapshotTables(server.db)
        expect(after.webhook_signatures!.length).toBe(before.webhook_signatures!.length + 1)
        expect({ ...after, webhook_signatures: [] }).toEqual({ ...before, webhook_signatures: [] })
        expect(stream.messages.filter((m) => m.event === 'payment')).toHaveLength(1)
      } finally {
        stream.close()
      }
    })

    it('takes one notification redelivered eight times at once (two instances, retries) as one payment', async () => {
      // Each copy signed a second apart, so none is a replay of another: they race through the first
      // transaction's insert (one stores the row, the rest read it back) and into the second.
      const stream = await openStream(server.url, courier.device.deviceId, courier.device.deviceToken)
      try {
        const notification = succeeded(5)
        const body = JSON.stringify(notification)
        const at = Math.floor(Date.now() / 1000)
        const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => deliver(body, { at: at - i })))
        expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200))
        for (const answer of answers) expect(answer.json).toMatchObject({ notificationId: notification.notificationId })
        const payments = await server.db
          .selectFrom('payments')
          .select(['transaction_id', 'amount_fen'])
          .where('order_id', '=', courier.order(5).orderId)
          .execute()
        expect(payments).toEqual([{ transaction_id: notification.transactionId, amount_fen: 4200 }])
        const stored = await server.db
          .selectFrom('acquirer_notifications')
          .select('outcome')
          .where('notification_id', '=', notification.notificationId)
          .execute()
        expect(stored).toEqual([{ outcome: 'applied' }])
        await stream.waitFor(
          (m) => m.event === 'payment' && (m.data as { intentId: string }).intentId === notification.intentId,
        )
        await server.settled()
        expect(
          stream.messages.filter(
            (m) => m.event === 'payment' && (m.data as { intentId: string }).intentId === notification.intentId,
          ),
        ).toHaveLength(1)
        const flags = await server.db
          .selectFrom('flags')
          .selectAll()
          .where('order_id', '=', courier.order(5).orderId)
          .execute()
        expect(flags).toEqual([])
      } finally {
        stream.close()
      }
    })

    it('refuses the very same signed request replayed, a stale timestamp, a bad or missing signature', async () => {
      const body = JSON.stringify(succeeded(1))
      const at = Math.floor(Date.now() / 1000)
      expect((await deliver(body, { at })).status).toBe(200)
      const before = await snapshotTables(server.db)
      const cases: [Promise<Awaited<ReturnType<typeof deliver>>>, number, string][] = [
        [deliver(body, { at }), 409, 'webhook.replayed'],
        // Well past the tolerance either way, however slowly this test runs; the exact edge is tested below.
        [deliver(JSON.stringify(succeeded(2)), { at: at - 400 }), 401, 'webhook.stale'],
        [deliver(JSON.stringify(succeeded(2)), { at: at + 400 }), 401, 'webhook.stale'],
        [
          deliver(JSON.stringify(succeeded(2)), { signature: signNotification('not-the-secret', at, body) }),
          401,
          'webhook.bad_signature',
        ],
        [deliver(JSON.stringify(succeeded(2)), { signature: 'deadbeef' }), 401, 'webhook.bad_signature'],
        [
          deliver(JSON.stringify(succeeded(2, { amountFen: 1 })), {
            signature: signNotification(secret, at, JSON.stringify(succeeded(2))),
          }),
          401,
          'webhook.bad_signature',
        ],
        [server.api.raw('POST', PATH, { body }), 401, 'webhook.unsigned'],
      ]
      for (const [request, status, code] of cases) {
        const answer = await request
        expect(answer.status, code).toBe(status)
        expect(errorOf(answer.json).code).toBe(code)
      }
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('refuses malformed JSON, wrong types, bad amounts and oversize bodies with 4xx, changing nothing', async () => {
      const before = await snapshotTables(server.db)
      const good = succeeded(2)
      const bodies: [string, number, string][] = [
        ['{"notificationId": ', 400, 'request.malformed_json'],
        [JSON.stringify({ ...good, amountFen: '3580' }), 400, 'request.invalid'],
        [JSON.stringify({ ...good, amountFen: -3580 }), 400, 'request.invalid'],
        [JSON.stringify({ ...good, amountFen: 35.8 }), 400, 'request.invalid'],
        [JSON.stringify({ ...good, amountFen: 1e20 }), 400, 'request.invalid'],
        [JSON.stringify({ ...good, type: 'payment.refunded' }), 400, 'request.invalid'],
        [JSON.stringify({ ...good, intentId: "pi_x'; DELETE FROM payments; --" }), 400, 'request.invalid'],
        [JSON.stringify({ ...good, extra: 1 }), 400, 'request.invalid'],
        [JSON.stringify({ ...good, padding: 'x'.repeat(20_000) }), 413, 'request.too_large'],
      ]
      for (const [body, status, code] of bodies) {
        const answer = await deliver(body)
        expect(answer.status, body.slice(0, 60)).toBe(status)
        expect(errorOf(answer.json).code).toBe(code)
      }
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('records but refuses an authentic notification for an unknown intent or another amount, every time', async () => {
      const unknown = succeeded(3, { intentId: 'pi_unknownintent0001' })
      const mismatch = succeeded(3, { amountFen: 8991 })
      for (const [notification, code] of [
        [unknown, 'webhook.unknown_intent'],
        [mismatch, 'webhook.amount_mismatch'],
      ] as const) {
        const body = JSON.stringify(notification)
        const at = Math.floor(Date.now() / 1000)
        const first = await deliver(body, { at })
        expect(first.status).toBe(422)
        expect(errorOf(first.json).code).toBe(code)
        const before = await snapshotTables(server.db, {
          devices: ['last_contact_ms'],
          webhook_signatures: ['signature', 'received_ms'],
        })
        const again = await deliver(body, { at: at - 2 })
        expect(again.status).toBe(422)
        expect(errorOf(again.json).code).toBe(code)
        const after = await snapshotTables(server.db, {
          devices: ['last_contact_ms'],
          webhook_signatures: ['signature', 'received_ms'],
        })
        expect({ ...after, webhook_signatures: [] }).toEqual({ ...before, webhook_signatures: [] })
      }
      const intent = await server.db
        .selectFrom('payment_intents')
        .select('status')
        .where('id', '=', courier.order(3).intent!.intentId)
        .executeTakeFirstOrThrow()
      expect(intent.status).toBe('pending')
      expect(
        await server.db.selectFrom('payments').selectAll().where('order_id', '=', courier.order(3).orderId).execute(),
      ).toEqual([])
    })

    it('records a refused second payment without counting money twice', async () => {
      const first = succeeded(4)
      expect((await deliver(JSON.stringify(first))).status).toBe(200)
      const attempt = succeeded(4, { type: 'payment.duplicate_attempt', transactionId: tx() })
      expect((await deliver(JSON.stringify(attempt))).json).toMatchObject({ status: 'applied' })
      const payments = await server.db
        .selectFrom('payments')
        .select(['transaction_id', 'outcome'])
        .where('order_id', '=', courier.order(4).orderId)
        .orderBy('outcome', 'desc')
        .execute()
      expect(payments).toEqual([
        { transaction_id: first.transactionId, outcome: 'succeeded' },
        { transaction_id: attempt.transactionId, outcome: 'refused_duplicate' },
      ])
      expect(
        await server.db.selectFrom('flags').selectAll().where('order_id', '=', courier.order(4).orderId).execute(),
      ).toEqual([])
    })
  })
}
