import { createPublicKey, verify } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { decodeCollectionQr, encodeCollectionQr } from '../../shared/emv/collection-qr'
import { crcHex } from '../../shared/emv/crc'
import { base64UrlDecode, base64UrlEncode, parseReceiptToken } from '../../shared/receipt'
import { checkNotificationSignature } from '../acquirer/signature'
import { ApiCallError, errorOf } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'

/** Re-signs a payload's CRC after tampering with it, as a careful forger would. */
function resign(payload: string): string {
  const head = payload.slice(0, -4)
  return head + crcHex(head)
}

function sandboxRows(server: TestBackend): Record<string, number> {
  const count = (table: string) =>
    (server.sandbox!.store.sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n
  return { intents: count('intents'), payments: count('payments'), notifications: count('notifications') }
}

describe('sandbox acquirer', () => {
  let server: TestBackend

  beforeAll(async () => {
    server = await startTestBackend()
  })
  afterAll(async () => server?.stop())
  afterEach(async () => {
    await server.api.setBehaviour({})
  })

  it('pays a collection QR and signs a receipt the manifest key verifies; a tampered receipt fails', async () => {
    const courier = await loggedInCourier(server, { orders: [{ codFen: 6660 }] })
    const intent = courier.order(0).intent!
    const preview = await server.api.preview(intent.qrPayload)
    expect(preview).toMatchObject({
      intentId: intent.intentId,
      merchantName: 'JD Logistics Xiangcheng',
      amountFen: 6660,
      waybill: courier.order(0).waybill,
      status: 'pending',
    })
    const paid = await server.api.pay(intent.qrPayload, 'wallet-wu')
    expect(paid).toMatchObject({ intentId: intent.intentId, amountFen: 6660, waybill: courier.order(0).waybill })

    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: courier.manifest.acquirer.receiptPublicKey },
      format: 'jwk',
    })
    const parsed = parseReceiptToken(paid.receiptToken)
    expect(parsed.receipt).toEqual({
      intentId: intent.intentId,
      amountFen: 6660,
      paidAt: paid.paidAt,
      transactionId: paid.transactionId,
    })
    expect(verify(null, Buffer.from(parsed.signedText), key, Buffer.from(parsed.signature))).toBe(true)

    const [prefix, claims, signature] = paid.receiptToken.split('.')
    const forged = JSON.parse(new TextDecoder().decode(base64UrlDecode(claims!))) as { a: number }
    forged.a = 66
    const tampered = `${prefix}.${base64UrlEncode(new TextEncoder().encode(JSON.stringify(forged)))}.${signature}`
    const reparsed = parseReceiptToken(tampered)
    expect(verify(null, Buffer.from(reparsed.signedText), key, Buffer.from(reparsed.signature))).toBe(false)
    expect((await server.api.preview(intent.qrPayload)).status).toBe('paid')
  })

  it('refuses a tampered, foreign or unknown QR, saying why, and records nothing', async () => {
    const courier = await loggedInCourier(server, { orders: [{ codFen: 19900 }] })
    const qr = courier.order(0).intent!.qrPayload
    const decoded = decodeCollectionQr(qr)
    const before = sandboxRows(server)
    const cases: [unknown, number, string][] = [
      [{ qrPayload: qr.replace('5406199.00', '5406199.01'), walletId: 'w' }, 400, 'qr.bad_crc'],
      [{ qrPayload: resign(qr.replace('5406199.00', '5406100.00')), walletId: 'w' }, 422, 'qr.mismatch'],
      [
        { qrPayload: encodeCollectionQr({ ...decoded, acquirerId: 'cn.other.acquirer' }), walletId: 'w' },
        400,
        'qr.wrong_acquirer',
      ],
      [
        { qrPayload: encodeCollectionQr({ ...decoded, intentId: 'pi_unknown0000001' }), walletId: 'w' },
        404,
        'intent.not_found',
      ],
      [{ qrPayload: qr.slice(0, 40), walletId: 'w' }, 400, 'qr.malformed'],
      [{ qrPayload: 'TTR1.abc.def', walletId: 'w' }, 400, 'qr.malformed'],
      [{ qrPayload: '0002010102', walletId: 'w' }, 400, 'qr.bad_length'],
      [{ qrPayload: qr, walletId: "w'; DROP TABLE payments; --" }, 400, 'request.invalid'],
      [{ qrPayload: qr }, 400, 'request.invalid'],
    ]
    for (const [json, status, code] of cases) {
      const answer = await server.api.raw('POST', '/sandbox/acquirer/pay', { json })
      expect(answer.status, code).toBe(status)
      expect(errorOf(answer.json).code).toBe(code)
    }
    expect(sandboxRows(server)).toEqual(before)
  })

  it('refuses a second payment of a paid intent but records it, and the backend hears of the attempt', async () => {
    const courier = await loggedInCourier(server, { orders: [{ codFen: 3580 }] })
    const intent = courier.order(0).intent!
    await server.api.pay(intent.qrPayload, 'wallet-a')
    const second = await server.api.raw('POST', '/sandbox/acquirer/pay', {
      json: { qrPayload: intent.qrPayload, walletId: 'wallet-b' },
    })
    expect(second.status).toBe(409)
    expect(errorOf(second.json).code).toBe('intent.already_paid')
    const record = await server.api.acquirerRecord(server.sandbox!.identity.apiKey, intent.intentId)
    expect(record.payments.map((p) => [p.walletId, p.outcome])).toEqual([
      ['wallet-a', 'succeeded'],
      ['wallet-b', 'refused_duplicate'],
    ])
    await expect
      .poll(async () =>
        (await server.db.selectFrom('payments').select('outcome').where('intent_id', '=', intent.intentId).execute())
          .map((p) => p.outcome)
          .sort(),
      )
      .toEqual(['refused_duplicate', 'succeeded'])
  })

  it('delays, duplicates, reorders and holds its notifications as told; the backend counts each payment once', async () => {
    const courier = await loggedInCourier(server, {
      orders: [{ codFen: 1990 }, { codFen: 4650 }, { codFen: 9900 }, { codFen: 16800 }],
    })
    const [a, b, c, d] = [0, 1, 2, 3].map((i) => courier.order(i).intent!)
    const delivered = async (intentId: string) => (await server.api.notifications(intentId)).notifications[0]!

    await server.api.setBehaviour({ notifyDelayMs: 1500, duplicates: 2 })
    const paidAt = Date.now()
    await server.api.pay(a!.qrPayload)
    expect((await delivered(a!.intentId)).status).toBe('pending')
    await expect.poll(async () => (await delivered(a!.intentId)).status, { timeout: 5_000 }).toBe('delivered')
    expect(Date.parse((await delivered(a!.intentId)).deliveredAt!) - paidAt).toBeGreaterThanOrEqual(1500)
    expect((await delivered(a!.intentId)).attempts).toBe(3)
    expect(
      await server.db.selectFrom('payments').selectAll().where('intent_id', '=', a!.intentId).execute(),
    ).toHaveLength(1)

    // Held while both are paid, then released together: newest first.
    await server.api.setBehaviour({ outOfOrder: true, holdNotifications: true })
    await server.api.pay(b!.qrPayload)
    await server.api.pay(c!.qrPayload)
    await server.api.setBehaviour({ outOfOrder: true })
    await expect.poll(async () => (await delivered(b!.intentId)).status, { timeout: 5_000 }).toBe('delivered')
    const received = await server.db
      .selectFrom('acquirer_notifications')
      .select(['intent_id', 'received_ms'])
      .where('intent_id', 'in', [b!.intentId, c!.intentId])
      .orderBy('received_ms')
      .execute()
    expect(received.map((r) => r.intent_id)).toEqual([c!.intentId, b!.intentId])

    await server.api.setBehaviour({ holdNotifications: true })
    await server.api.pay(d!.qrPayload)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await delivered(d!.intentId)).status).toBe('pending')
    expect(await server.db.selectFrom('payments').selectAll().where('intent_id', '=', d!.intentId).execute()).toEqual(
      [],
    )
    await server.api.setBehaviour({ holdNotifications: false })
    await expect.poll(async () => (await delivered(d!.intentId)).status).toBe('delivered')
  })

  it('keeps its merchant API behind the API key, and creates one intent per key', async () => {
    const body = {
      key: 'cod:ord_SandboxKey001:1',
      amountFen: 12800,
      merchantName: 'JD Logistics Xiangcheng',
      merchantCity: 'Suzhou',
      waybill: 'JDVA00000000001',
      deviceId: 'dev_test0001',
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      notifyUrl: `${server.url}/api/v1/acquirer/notifications`,
    }
    const anonymous = await server.api.raw('POST', '/sandbox/acquirer/v1/intents', { json: body })
    expect(anonymous.status).toBe(401)
    expect(errorOf(anonymous.json).code).toBe('acquirer.unauthorized')
    const token = server.sandbox!.identity.apiKey
    const first = await server.api.raw('POST', '/sandbox/acquirer/v1/intents', { token, json: body })
    const again = await server.api.raw('POST', '/sandbox/acquirer/v1/intents', { token, json: body })
    expect(first.status).toBe(200)
    expect((again.json as { intentId: string }).intentId).toBe((first.json as { intentId: string }).intentId)
    const other = await server.api.raw('POST', '/sandbox/acquirer/v1/intents', {
      token,
      json: { ...body, amountFen: 1 },
    })
    expect(other.status).toBe(409)
    expect(errorOf(other.json).code).toBe('intent.key_conflict')
    await expect(server.api.acquirerRecord('sk_wrong', (first.json as { intentId: string }).intentId)).rejects.toThrow(
      ApiCallError,
    )
  })

  it('retries a notification with backoff until the receiver answers 2xx, signing every delivery', async () => {
    const seen: { status: number; headers: IncomingMessage['headers']; body: string }[] = []
    const receiver = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk.toString()))
      request.on('end', () => {
        const status = seen.length < 2 ? 503 : 200
        seen.push({ status, headers: request.headers, body })
        response.writeHead(status, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    try {
      const port = (receiver.address() as AddressInfo).port
      const token = server.sandbox!.identity.apiKey
      const created = await server.api.raw('POST', '/sandbox/acquirer/v1/intents', {
        token,
        json: {
          key: 'cod:ord_RetryTest0001:1',
          amountFen: 990,
          merchantName: 'JD Logistics Xiangcheng',
          merchantCity: 'Suzhou',
          waybill: 'JDVA00000000002',
          deviceId: 'dev_test0002',
          expiresAt: new Date(Date.now() + 60_000).toISOString(),
          notifyUrl: `http://127.0.0.1:${port}/hook`,
        },
      })
      await server.api.pay((created.json as { qrPayload: string }).qrPayload)
      await expect.poll(() => seen.length, { timeout: 5_000 }).toBe(3)
      expect(seen.map((s) => s.status)).toEqual([503, 503, 200])
      for (const delivery of seen) {
        const check = checkNotificationSignature({
          secret: server.sandbox!.identity.webhookSecret,
          timestampHeader: delivery.headers['x-acquirer-timestamp'] as string,
          signatureHeader: delivery.headers['x-acquirer-signature'] as string,
          rawBody: delivery.body,
          nowMs: Date.now(),
          toleranceSeconds: 300,
        })
        expect(check.ok).toBe(true)
      }
      await expect
        .poll(
          async () =>
            (await server.api.notifications((created.json as { intentId: string }).intentId)).notifications[0],
        )
        .toMatchObject({ status: 'delivered', attempts: 3 })
    } finally {
      receiver.close()
    }
  })
})
