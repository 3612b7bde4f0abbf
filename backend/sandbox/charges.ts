import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import {
  AcquirerChargeRecord,
  AcquirerChargeRequest,
  ChargeNo,
  type ChargeFailure,
  type AcquirerChargeStatus,
} from '../../shared/api/acquirer'
import { IntentId } from '../../shared/api/ids'
import {
  SandboxConfirmRequest,
  SandboxDeclineRequest,
  SandboxWallet,
  SandboxWalletSettings,
  WALLET_LIMITS,
  WalletId,
} from '../../shared/api/sandbox'
import { conflict, notFound, unprocessable } from '../http/errors'
import { defineRoute, type RouteTable } from '../http/routes'
import { newId } from '../ids'
import { SANDBOX_PREFIX } from './acquirer'
import { merchantGuard, withMerchantAuth } from './merchant'
import type { SandboxStore } from './store'
import {
  currentPaymentCode,
  PIN_ATTEMPTS,
  saveWallet,
  spentToday,
  takePaymentCode,
  walletRefusal,
  walletSettings,
} from './wallets'

export interface SandboxChargeRow {
  charge_no: string
  intent_id: string
  wallet_id: string | null
  code: string
  amount_fen: number
  status: AcquirerChargeStatus
  failure: ChargeFailure | null
  limit_fen: number | null
  transaction_id: string | null
  paid_at: string | null
  notify_url: string
  created_ms: number
  /** Without a PIN, when the customer's confirmation on the phone lands (null: waiting for the PIN). */
  pay_at_ms: number | null
  pin_attempts: number
  revoked_ms: number | null
  /** With `revokeRace`: when the PIN the customer typed just before the revoke lands anyway. */
  race_pay_at_ms: number | null
}

/** How long after a racing revoke the customer's PIN lands. */
const RACE_MS = 300

export function chargeByNo(store: SandboxStore, chargeNo: string): SandboxChargeRow | undefined {
  return store.sqlite.prepare('select * from charges where charge_no = ?').get(chargeNo) as SandboxChargeRow | undefined
}

function insertCharge(store: SandboxStore, row: SandboxChargeRow): void {
  store.sqlite
    .prepare(
      `insert into charges (charge_no, intent_id, wallet_id, code, amount_fen, status, failure, limit_fen,
         transaction_id, paid_at, notify_url, created_ms, pay_at_ms, pin_attempts, revoked_ms, race_pay_at_ms)
       values (@charge_no, @intent_id, @wallet_id, @code, @amount_fen, @status, @failure, @limit_fen,
         @transaction_id, @paid_at, @notify_url, @created_ms, @pay_at_ms, @pin_attempts, @revoked_ms, @race_pay_at_ms)`,
    )
    .run(row)
}

export const chargeRecord = (row: SandboxChargeRow): AcquirerChargeRecord => ({
  chargeNo: row.charge_no,
  intentId: row.intent_id,
  amountFen: row.amount_fen,
  status: row.status,
  failure: row.failure,
  limitFen: row.limit_fen,
  transactionId: row.transaction_id,
  paidAt: row.paid_at,
})

/**
 * Money moves for a charge: a payment of its intent (a separate order from the QR, so an intent the QR already paid
 * is paid twice, as at a real acquirer), the intent paid, and the signed notification queued, all in one
 * transaction (the caller's).
 */
export function payCharge(store: SandboxStore, charge: SandboxChargeRow, nowMs: number): void {
  const paidAt = new Date(nowMs).toISOString()
  const transactionId = newId('tx')
  store.insertPayment({
    transaction_id: transactionId,
    intent_id: charge.intent_id,
    amount_fen: charge.amount_fen,
    paid_at: paidAt,
    wallet_id: charge.wallet_id ?? 'unknown',
    outcome: 'succeeded',
    receipt: null,
    created_ms: nowMs,
    charge_no: charge.charge_no,
  })
  const intent = store.intentById(charge.intent_id)
  if (intent?.status === 'pending') store.setIntentStatus(charge.intent_id, 'paid')
  store.sqlite
    .prepare(
      `update charges set status = 'paid', transaction_id = ?, paid_at = ?, pay_at_ms = null, race_pay_at_ms = null
       where charge_no = ?`,
    )
    .run(transactionId, paidAt, charge.charge_no)
  store.enqueue(
    {
      notificationId: newId('ntf'),
      type: 'payment.succeeded',
      intentId: charge.intent_id,
      transactionId,
      amountFen: charge.amount_fen,
      occurredAt: paidAt,
      chargeNo: charge.charge_no,
    },
    charge.notify_url,
    nowMs,
  )
}

/** Charges whose time came (the customer confirmed on the phone, or a PIN raced a revoke); the next due time. */
export function payDueCharges(store: SandboxStore, nowMs: number): number | null {
  const due = store.sqlite
    .prepare(
      `select * from charges where (status = 'user_paying' and pay_at_ms <= ?)
         or (status = 'revoked' and race_pay_at_ms <= ?)`,
    )
    .all(nowMs, nowMs) as SandboxChargeRow[]
  for (const charge of due) store.transaction(() => payCharge(store, charge, nowMs))
  const next = store.sqlite
    .prepare(
      `select min(at) as at from (
         select pay_at_ms as at from charges where status = 'user_paying' and pay_at_ms is not null
         union all select race_pay_at_ms from charges where status = 'revoked' and race_pay_at_ms is not null)`,
    )
    .get() as { at: number | null }
  return next.at
}

const ChargeParams = z.object({ chargeNo: ChargeNo })
const WalletParams = z.object({ walletId: WalletId })
const RevokeRequest = z.object({ intentId: IntentId }).strict()

export interface SandboxChargeOptions {
  store: SandboxStore
  now: () => number
  /** Wakes the sandbox's clock (a charge the customer confirms after a while) and its notifier. */
  wake: () => void
}

/**
 * The sandbox's charge API (付款码, `shared/api/acquirer.ts`) and the wallet side that goes with it: payment codes
 * that refresh every 60 s and work once, tiers with limits, a PIN the customer types on the wallet page (or the
 * runner does), a customer who takes a while, and the faults a real acquirer has (a lost answer, a revoke racing
 * the customer's PIN).
 */
export function registerSandboxCharges(app: FastifyInstance, table: RouteTable, options: SandboxChargeOptions): void {
  const { store, now, wake } = options
  const merchant = merchantGuard(store)
  const routes = withMerchantAuth(table, store)

  const walletView = (walletId: string): SandboxWallet => {
    const at = now()
    const settings = walletSettings(store, walletId)
    const code = currentPaymentCode(store, walletId, at)
    const charges = store.sqlite
      .prepare('select * from charges where wallet_id = ? order by created_ms desc, rowid desc limit 10')
      .all(walletId) as SandboxChargeRow[]
    const limits = WALLET_LIMITS[settings.tier]
    return {
      walletId,
      settings,
      limits,
      spentTodayFen: spentToday(store, walletId, at),
      paymentCode: { code: code.code, expiresAt: new Date(code.expires_ms).toISOString() },
      pending: charges
        .filter((charge) => charge.status === 'user_paying')
        .map((charge) => {
          const intent = store.intentById(charge.intent_id)
          return {
            chargeNo: charge.charge_no,
            amountFen: charge.amount_fen,
            merchantName: intent?.merchant_name ?? '',
            merchantNameZh: intent?.merchant_name_zh ?? null,
            needsPin: charge.pay_at_ms === null,
            pinAttemptsLeft: Math.max(0, PIN_ATTEMPTS - charge.pin_attempts),
          }
        }),
      recent: charges.map((charge) => ({
        chargeNo: charge.charge_no,
        amountFen: charge.amount_fen,
        status: charge.status,
        failure: charge.failure,
        at: new Date(charge.created_ms).toISOString(),
      })),
    }
  }

  const pendingOf = (walletId: string, chargeNo: string): SandboxChargeRow => {
    const charge = chargeByNo(store, chargeNo)
    if (!charge || charge.wallet_id !== walletId) throw notFound('charge.not_found', 'no such charge here')
    if (charge.status !== 'user_paying') {
      throw conflict('charge.not_waiting', `the charge is ${charge.status}, not waiting for the customer`)
    }
    return charge
  }

  defineRoute(app, routes, {
    method: 'POST',
    url: `${SANDBOX_PREFIX}/v1/charges`,
    summary: "Sandbox acquirer: charges a customer's payment code (付款码) under the merchant's charge number",
    tag: 'sandbox',
    auth: 'acquirer_merchant',
    body: AcquirerChargeRequest,
    response: AcquirerChargeRecord,
    errors: [
      { status: 401, code: 'acquirer.unauthorized' },
      { status: 404, code: 'intent.not_found' },
      { status: 409, code: 'charge.key_conflict' },
      { status: 422, code: 'charge.amount_mismatch' },
      { status: 503, code: 'acquirer.outage' },
    ],
    handler: async ({ body, request, reply }) => {
      await merchant(request)
      const at = now()
      const charge = store.transaction((): SandboxChargeRow => {
        const existing = chargeByNo(store, body.chargeNo)
        if (existing) {
          // A revoked number that never arrived is a tombstone: the late request takes no money.
          const tombstone = existing.status === 'revoked' && existing.code === ''
          const same =
            existing.code === body.authCode &&
            existing.amount_fen === body.amountFen &&
            existing.intent_id === body.intentId
          if (!tombstone && !same) {
            throw conflict('charge.key_conflict', 'this charge number was used for another charge')
          }
          return existing
        }
        const intent = store.intentById(body.intentId)
        if (!intent) throw notFound('intent.not_found', 'no such intent')
        if (intent.amount_fen !== body.amountFen) {
          throw unprocessable('charge.amount_mismatch', `the intent is for ${intent.amount_fen} fen`)
        }
        const row: SandboxChargeRow = {
          charge_no: body.chargeNo,
          intent_id: intent.intent_id,
          wallet_id: null,
          code: body.authCode,
          amount_fen: body.amountFen,
          status: 'failed',
          failure: null,
          limit_fen: null,
          transaction_id: null,
          paid_at: null,
          notify_url: body.notifyUrl,
          created_ms: at,
          pay_at_ms: null,
          pin_attempts: 0,
          revoked_ms: null,
          race_pay_at_ms: null,
        }
        const closed = intent.status === 'cancelled' || (intent.status === 'pending' && intent.expires_ms <= at)
        const taken = takePaymentCode(store, body.authCode, at)
        if ('walletId' in taken) row.wallet_id = taken.walletId
        const refusal = 'walletId' in taken ? walletRefusal(store, taken.walletId, body.amountFen, at) : null
        if (closed) row.failure = 'intent_closed'
        else if ('failure' in taken) row.failure = taken.failure
        else if (refusal) Object.assign(row, { failure: refusal.failure, limit_fen: refusal.limitFen })
        else {
          const settings = walletSettings(store, taken.walletId)
          row.status = 'user_paying'
          row.pay_at_ms = settings.pin !== null ? null : settings.payingMs > 0 ? at + settings.payingMs : at
        }
        insertCharge(store, row)
        if (row.status === 'user_paying' && row.pay_at_ms === at) payCharge(store, row, at)
        return chargeByNo(store, row.charge_no)!
      })
      wake()
      if (store.behaviour().dropChargeAnswers) {
        // The charge is taken and the answer lost on the way: the merchant must find out by querying.
        reply.hijack()
        request.raw.socket.destroy()
      }
      return chargeRecord(charge)
    },
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${SANDBOX_PREFIX}/v1/charges/:chargeNo`,
    summary: "Sandbox acquirer's query API for a charge",
    tag: 'sandbox',
    auth: 'acquirer_merchant',
    params: ChargeParams,
    response: AcquirerChargeRecord,
    errors: [
      { status: 401, code: 'acquirer.unauthorized' },
      { status: 404, code: 'charge.not_found' },
      { status: 503, code: 'acquirer.outage' },
    ],
    handler: async ({ params, request }) => {
      store.noteQuery(params.chargeNo, now())
      await merchant(request, 'query')
      const charge = chargeByNo(store, params.chargeNo)
      if (!charge) throw notFound('charge.not_found', 'no such charge')
      return chargeRecord(charge)
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${SANDBOX_PREFIX}/v1/charges/:chargeNo/revoke`,
    summary: 'Sandbox acquirer: revokes (撤销) a charge that is not paid, even one it never received',
    tag: 'sandbox',
    auth: 'acquirer_merchant',
    params: ChargeParams,
    body: RevokeRequest,
    response: AcquirerChargeRecord,
    errors: [
      { status: 401, code: 'acquirer.unauthorized' },
      { status: 409, code: 'charge.already_paid' },
      { status: 503, code: 'acquirer.outage' },
    ],
    handler: async ({ params, body, request }) => {
      await merchant(request)
      const at = now()
      const charge = store.transaction((): SandboxChargeRow => {
        const existing = chargeByNo(store, params.chargeNo)
        if (!existing) {
          insertCharge(store, {
            charge_no: params.chargeNo,
            intent_id: body.intentId,
            wallet_id: null,
            code: '',
            amount_fen: 0,
            status: 'revoked',
            failure: null,
            limit_fen: null,
            transaction_id: null,
            paid_at: null,
            notify_url: '',
            created_ms: at,
            pay_at_ms: null,
            pin_attempts: 0,
            revoked_ms: at,
            race_pay_at_ms: null,
          })
          return chargeByNo(store, params.chargeNo)!
        }
        if (existing.status === 'paid') {
          throw conflict('charge.already_paid', 'the charge is paid; the payment stands')
        }
        if (existing.status !== 'user_paying') return existing
        const race = store.behaviour().revokeRace
        store.sqlite
          .prepare(
            `update charges set status = 'revoked', revoked_ms = ?, pay_at_ms = null, race_pay_at_ms = ?
             where charge_no = ?`,
          )
          .run(at, race ? at + RACE_MS : null, existing.charge_no)
        return chargeByNo(store, existing.charge_no)!
      })
      wake()
      return chargeRecord(charge)
    },
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${SANDBOX_PREFIX}/wallets/:walletId`,
    summary: 'Sandbox wallet: its tier, limits, current payment code and charges waiting for the customer',
    tag: 'sandbox',
    auth: 'none',
    params: WalletParams,
    response: SandboxWallet,
    handler: ({ params }) => walletView(params.walletId),
  })

  defineRoute(app, routes, {
    method: 'PUT',
    url: `${SANDBOX_PREFIX}/wallets/:walletId`,
    summary: 'Sandbox wallet: its tier, balance, PIN and how the customer behaves',
    tag: 'sandbox',
    auth: 'none',
    params: WalletParams,
    body: SandboxWalletSettings,
    response: SandboxWallet,
    handler: ({ params, body }) => {
      saveWallet(store, params.walletId, body, now())
      return walletView(params.walletId)
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${SANDBOX_PREFIX}/wallets/:walletId/code`,
    summary: 'Sandbox wallet: a fresh payment code (the one before can no longer be charged)',
    tag: 'sandbox',
    auth: 'none',
    params: WalletParams,
    response: SandboxWallet,
    handler: ({ params }) => {
      currentPaymentCode(store, params.walletId, now(), true)
      return walletView(params.walletId)
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${SANDBOX_PREFIX}/wallets/:walletId/confirm`,
    summary: 'Sandbox wallet: the customer types their PIN for a charge of their code',
    tag: 'sandbox',
    auth: 'none',
    params: WalletParams,
    body: SandboxConfirmRequest,
    response: SandboxWallet,
    errors: [
      { status: 404, code: 'charge.not_found' },
      { status: 409, code: 'charge.not_waiting' },
      { status: 422, code: 'wallet.wrong_pin' },
    ],
    handler: ({ params, body }) => {
      const at = now()
      const wrong = store.transaction((): number | null => {
        const charge = pendingOf(params.walletId, body.chargeNo)
        const settings = walletSettings(store, params.walletId)
        if (settings.pin === null || settings.pin === body.pin) {
          payCharge(store, charge, at)
          return null
        }
        const attempts = charge.pin_attempts + 1
        store.sqlite
          .prepare(
            `update charges set pin_attempts = ?,
               status = case when ? >= ? then 'failed' else status end,
               failure = case when ? >= ? then 'pin_locked' else failure end
             where charge_no = ?`,
          )
          .run(attempts, attempts, PIN_ATTEMPTS, attempts, PIN_ATTEMPTS, charge.charge_no)
        return PIN_ATTEMPTS - attempts
      })
      wake()
      if (wrong !== null) {
        throw unprocessable('wallet.wrong_pin', 'that PIN is not this wallet’s', { attemptsLeft: wrong })
      }
      return walletView(params.walletId)
    },
  })

  defineRoute(app, routes, {
    method: 'POST',
    url: `${SANDBOX_PREFIX}/wallets/:walletId/decline`,
    summary: 'Sandbox wallet: the customer cancels a charge of their code on the phone',
    tag: 'sandbox',
    auth: 'none',
    params: WalletParams,
    body: SandboxDeclineRequest,
    response: SandboxWallet,
    errors: [
      { status: 404, code: 'charge.not_found' },
      { status: 409, code: 'charge.not_waiting' },
    ],
    handler: ({ params, body }) => {
      store.transaction(() => {
        const charge = pendingOf(params.walletId, body.chargeNo)
        store.sqlite
          .prepare(
            `update charges set status = 'failed', failure = 'user_cancelled', pay_at_ms = null where charge_no = ?`,
          )
          .run(charge.charge_no)
      })
      return walletView(params.walletId)
    },
  })
}
