import { createPrivateKey, sign, type KeyObject } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import {
  AcquirerCreatedIntent,
  AcquirerCreateIntentRequest,
  AcquirerIntentRecord,
  AcquirerKeys,
} from '../../shared/api/acquirer'
import { IntentId, Timestamp } from '../../shared/api/ids'
import {
  SandboxBehaviour,
  SandboxNotificationsResponse,
  SandboxPayRequest,
  SandboxPayResponse,
  SandboxPreviewRequest,
  SandboxPreviewResponse,
} from '../../shared/api/sandbox'
import { decodeCollectionQr, encodeCollectionQr, type CollectionQr } from '../../shared/emv/collection-qr'
import { TuotouError } from '../../shared/errors'
import { formatReceiptToken, receiptSignedText } from '../../shared/receipt'
import { ApiError, badRequest, conflict, notFound, unprocessable } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { newId } from '../ids'
import { merchantGuard, withMerchantAuth } from './merchant'
import type { Notifier } from './notifier'
import type { SandboxIntentRow, SandboxStore } from './store'
import { walletRefusal } from './wallets'

/** Where the sandbox acquirer's API lives on the server that mounts it. */
export const SANDBOX_PREFIX = '/sandbox/acquirer'

const IntentParams = z.object({ intentId: IntentId })
const NotificationsQuery = z.object({ intentId: IntentId.optional() }).strict()

export interface SandboxAcquirerOptions {
  store: SandboxStore
  notifier: Notifier
  now: () => number
}

/**
 * The sandbox acquirer's HTTP API: the merchant API the backend calls (`/v1/…`, with the API key), and the
 * customer's side the wallet page, e2e tests and rounds use (preview, pay), plus its behaviour switches. It
 * keeps its own state and reaches the backend only through the notifications it sends.
 */
export function registerSandboxAcquirer(
  app: FastifyInstance,
  table: RouteTable,
  options: SandboxAcquirerOptions,
): void {
  const { store, notifier, now } = options
  const identity = store.identity()
  const privateKey: KeyObject = createPrivateKey(identity.privateKeyPem)

  const statusOf = (row: SandboxIntentRow): AcquirerIntentRecord['status'] =>
    row.status === 'pending' && row.expires_ms <= now() ? 'expired' : row.status
  const recordOf = (row: SandboxIntentRow): AcquirerIntentRecord => ({
    intentId: row.intent_id,
    key: row.key,
    amountFen: row.amount_fen,
    status: statusOf(row),
    expiresAt: row.expires_at,
    payments: store.paymentsOf(row.intent_id).map((payment) => ({
      transactionId: payment.transaction_id,
      amountFen: payment.amount_fen,
      paidAt: payment.paid_at,
      walletId: payment.wallet_id,
      outcome: payment.outcome,
      chargeNo: payment.charge_no,
    })),
  })
  const merchant = merchantGuard(store)
  const routes = withMerchantAuth(table, store)
  const intentOf = (intentId: string): SandboxIntentRow => {
    const row = store.intentById(intentId)
    if (!row) throw notFound('intent.not_found', 'no such intent')
    return row
  }
  /** Reads a scanned collection QR and finds its intent, refusing anything tampered with or not ours. */
  const scanned = (qrPayload: string): { qr: CollectionQr; intent: SandboxIntentRow } => {
    let qr: CollectionQr
    try {
      qr = decodeCollectionQr(qrPayload.trim())
    } catch (error) {
      if (error instanceof TuotouError) throw badRequest(error.code, error.message, error.details)
      throw error
    }
    if (qr.acquirerId !== identity.acquirerId || qr.merchantId !== identity.merchantId) {
      throw badRequest('qr.wrong_acquirer', 'this QR is not payable through this acquirer')
    }
    const intent = intentOf(qr.intentId)
    if (qr.amountFen !== intent.amount_fen || qr.waybill !== intent.waybill) {
      throw new ApiError(422, 'qr.mismatch', 'the QR does not match the payment it names', {
        qrAmountFen: qr.amountFen,
      })
    }
    return { qr, intent }
  }
  defineRoute(app, routes, {
    method: 'POST',
    url: `${SANDBOX_PREFIX}/v1/intents`,
    summary: 'Sandbox acquirer: creates (or finds by key) the intent for one payment',
    tag: 'sandbox',
    auth: 'acquirer_merchant',
    body: AcquirerCreateIntentRequest,
    response: AcquirerCreatedIntent,
    errors: [
      { status: 401, code: 'acquirer.unauthorized' },
      { status: 409, code: 'intent.key_conflict' },
    ],
    handler: async ({ body, request }) => {
      await merchant(request)
      const created = store.transaction(() => {
        const existing = store.intentByKey(body.key)
        if (existing) {
          if (existing.amount_fen !== body.amountFen || existing.waybill !== body.waybill) {
            throw conflict('intent.key_conflict', 'this key was used for another payment')
          }
          return existing
        }
        const intentId = newId('pi')
        const row: SandboxIntentRow = {
          intent_id: intentId,
          key: body.key,
          amount_fen: body.amountFen,
          status: 'pending',
          expires_at: body.expiresAt,
          expires_ms: Date.parse(body.expiresAt),
          merchant_name: body.merchantName,
          merchant_city: body.merchantCity,
          merchant_name_zh: body.merchantNameZh ?? null,
          merchant_city_zh: body.merchantNameZh ? (body.merchantCityZh ?? null) : null,
          waybill: body.waybill,
          device_id: body.deviceId,
          qr_payload: encodeCollectionQr({
            acquirerId: identity.acquirerId,
            merchantId: identity.merchantId,
            amountFen: body.amountFen,
            merchantName: body.merchantName,
            merchantCity: body.merchantCity,
            waybill: body.waybill,
            intentId,
            deviceId: body.deviceId,
            ...(body.merchantNameZh ? { merchantNameZh: body.merchantNameZh } : {}),
            ...(body.merchantNameZh && body.merchantCityZh ? { merchantCityZh: body.merchantCityZh } : {}),
          }),
          notify_url: body.notifyUrl,
          created_ms: now(),
        }
        store.insertIntent(row)
        return row
      })
      return { ...recordOf(created), qrPayload: created.qr_payload }
    },
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${SANDBOX_PREFIX}/v1/intents/:intentId`,
    summary: "Sandbox acquirer's query API: what it holds for an intent",
    tag: 'sandbox',
    auth: 'acquirer_merchant',
    params: IntentParams,
    response: AcquirerIntentRecord,
    errors: [
      { status: 401, code: 'acquirer.unauthorized' },
      { status: 404, code: 'intent.not_found' },
    ],
    handler: async ({ params, request }) => {
      store.noteQuery(params.intentId, now())
      await merchant(request, 'query')
      return recordOf(intentOf(params.intentId))
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${SANDBOX_PREFIX}/v1/intents/:intentId/cancel`,
    summary: 'Sandbox acquirer: cancels an unpaid intent',
    tag: 'sandbox',
    auth: 'acquirer_merchant',
    params: IntentParams,
    response: AcquirerIntentRecord,
    errors: [
      { status: 401, code: 'acquirer.unauthorized' },
      { status: 404, code: 'intent.not_found' },
      { status: 409, code: 'intent.already_paid' },
    ],
    handler: async ({ params, request }) => {
      await merchant(request)
      const row = store.transaction(() => {
        const intent = intentOf(params.intentId)
        if (intent.status === 'paid') throw conflict('intent.already_paid', 'this intent is paid')
        store.setIntentStatus(intent.intent_id, 'cancelled')
        return intentOf(params.intentId)
      })
      return recordOf(row)
    },
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${SANDBOX_PREFIX}/v1/keys`,
    summary: "Sandbox acquirer's identity and receipt-signing public key",
    tag: 'sandbox',
    auth: 'none',
    response: AcquirerKeys,
    handler: () => Promise.resolve({ acquirerId: identity.acquirerId, receiptPublicKey: identity.publicKey }),
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${SANDBOX_PREFIX}/preview`,
    summary: 'Sandbox wallet: what a scanned collection QR asks for, before paying',
    tag: 'sandbox',
    auth: 'none',
    body: SandboxPreviewRequest,
    response: SandboxPreviewResponse,
    errors: [
      { status: 400, code: 'qr.bad_crc' },
      { status: 404, code: 'intent.not_found' },
      { status: 422, code: 'qr.mismatch' },
    ],
    handler: ({ body }) => {
      const { qr, intent } = scanned(body.qrPayload)
      return {
        intentId: intent.intent_id,
        merchantName: qr.merchantName,
        merchantCity: qr.merchantCity,
        merchantNameZh: qr.merchantNameZh ?? null,
        merchantCityZh: qr.merchantCityZh ?? null,
        amountFen: qr.amountFen,
        waybill: qr.waybill,
        status: statusOf(intent),
        expiresAt: intent.expires_at,
      }
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${SANDBOX_PREFIX}/pay`,
    summary: 'Sandbox wallet: pays a collection QR and answers a signed receipt',
    tag: 'sandbox',
    auth: 'none',
    body: SandboxPayRequest,
    response: SandboxPayResponse,
    errors: [
      { status: 400, code: 'qr.bad_crc' },
      { status: 400, code: 'qr.malformed' },
      { status: 404, code: 'intent.not_found' },
      { status: 409, code: 'intent.already_paid' },
      { status: 409, code: 'intent.expired' },
      { status: 409, code: 'intent.cancelled' },
      { status: 422, code: 'qr.mismatch' },
      { status: 422, code: 'wallet.limit_per_payment' },
      { status: 422, code: 'wallet.limit_per_day' },
      { status: 422, code: 'wallet.insufficient_balance' },
    ],
    handler: ({ body, request }) => {
      const { qr, intent: seen } = scanned(body.qrPayload)
      const paidAt = new Date(now()).toISOString()
      const transactionId = newId('tx')
      const outcome = store.transaction(() => {
        const intent = intentOf(seen.intent_id)
        const status = statusOf(intent)
        if (status === 'expired') throw conflict('intent.expired', 'this payment request has expired')
        if (status === 'cancelled') throw conflict('intent.cancelled', 'the courier cancelled this payment request')
        const duplicate = status === 'paid'
        const refusal = duplicate ? null : walletRefusal(store, body.walletId, intent.amount_fen, now())
        if (refusal) {
          throw unprocessable(`wallet.${refusal.failure}`, `the wallet cannot pay this: ${refusal.failure}`, {
            limitFen: refusal.limitFen,
          })
        }
        const signedText = receiptSignedText({
          intentId: intent.intent_id,
          amountFen: intent.amount_fen,
          paidAt,
          transactionId,
        })
        const receipt = duplicate
          ? null
          : formatReceiptToken(signedText, sign(null, Buffer.from(signedText), privateKey))
        store.insertPayment({
          transaction_id: transactionId,
          intent_id: intent.intent_id,
          amount_fen: intent.amount_fen,
          paid_at: paidAt,
          wallet_id: body.walletId,
          outcome: duplicate ? 'refused_duplicate' : 'succeeded',
          receipt,
          created_ms: now(),
          charge_no: null,
        })
        if (!duplicate) store.setIntentStatus(intent.intent_id, 'paid')
        store.enqueue(
          {
            notificationId: newId('ntf'),
            type: duplicate ? 'payment.duplicate_attempt' : 'payment.succeeded',
            intentId: intent.intent_id,
            transactionId,
            amountFen: intent.amount_fen,
            occurredAt: paidAt,
          },
          intent.notify_url,
          now(),
        )
        return { duplicate, receipt, intent }
      })
      notifier.wake()
      if (outcome.duplicate || !outcome.receipt) {
        request.log.warn({ event: 'sandbox.double_payment', intentId: seen.intent_id }, 'second payment refused')
        throw conflict('intent.already_paid', 'this order is already paid; nothing was charged', {
          intentId: seen.intent_id,
        })
      }
      return {
        intentId: outcome.intent.intent_id,
        transactionId,
        amountFen: outcome.intent.amount_fen,
        paidAt,
        merchantName: qr.merchantName,
        waybill: qr.waybill,
        receiptToken: outcome.receipt,
      }
    },
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${SANDBOX_PREFIX}/behaviour`,
    summary: 'Sandbox acquirer: how it notifies now',
    tag: 'sandbox',
    auth: 'none',
    response: SandboxBehaviour,
    handler: () => Promise.resolve(store.behaviour()),
  })

  defineRoute(app, routes, {
    method: 'PUT',
    url: `${SANDBOX_PREFIX}/behaviour`,
    summary: 'Sandbox acquirer: delay, duplicate, reorder or hold its notifications',
    tag: 'sandbox',
    auth: 'none',
    body: SandboxBehaviour,
    response: SandboxBehaviour,
    handler: ({ body }) => {
      store.setBehaviour(body)
      notifier.wake()
      return store.behaviour()
    },
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${SANDBOX_PREFIX}/queries`,
    summary: 'Sandbox acquirer: when the merchant asked about an intent, charge or refund (for tests and rounds)',
    tag: 'sandbox',
    auth: 'none',
    query: z.object({ id: z.string().min(1).max(80) }).strict(),
    response: z.object({ id: z.string(), at: z.array(Timestamp) }),
    handler: ({ query }) => ({
      id: query.id,
      at: (store.queries.get(query.id) ?? []).map((ms) => new Date(ms).toISOString()),
    }),
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${SANDBOX_PREFIX}/notifications`,
    summary: 'Sandbox acquirer: its outgoing notifications and how delivery went, newest first',
    tag: 'sandbox',
    auth: 'none',
    query: NotificationsQuery,
    response: SandboxNotificationsResponse,
    handler: ({ query }) => ({
      notifications: store.notifications(query.intentId).map((row) => ({
        notificationId: row.notification_id,
        type: row.type,
        intentId: row.intent_id,
        transactionId: row.transaction_id,
        status: row.status,
        attempts: row.attempts,
        lastError: row.last_error,
        createdAt: new Date(row.created_ms).toISOString(),
        deliveredAt: row.delivered_ms === null ? null : new Date(row.delivered_ms).toISOString(),
      })),
    }),
  })
}
